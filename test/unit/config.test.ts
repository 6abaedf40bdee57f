import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { temporalTls } from '../../src/config/temporalTls';
import { durationSchema } from '../../src/shared/durations';

function write(name: string, text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  test('defaults: SQLite catalog in the data directory, task queue named after the Librarian', () => {
    const file = write('librarian.yaml', 'name: site-a\ndataDir: data\n');
    const c = loadConfig(file, {});
    expect(c.name).toBe('site-a');
    expect(c.database).toEqual({ provider: 'sqlite', url: `file:${path.join(path.dirname(file), 'data', 'catalog.db')}` });
    expect(c.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://127.0.0.1:8233', taskQueue: 'librarian-site-a', retention: 30 * 86_400_000 });
    expect(c.worker).toEqual({ healthHost: '127.0.0.1' });
    expect(c.api.port).toBe(8080);
    expect(c.api.maxUploadSizeBytes).toBe(50_000_000_000);
    expect(c.checksums.cacheLifetime).toBe(86_400_000);
    expect(c.healthCheck.every).toBe(600_000);
    expect(c.logins).toEqual({ freeFailuresPerAccount: 5, freeFailuresPerAddress: 20, firstBackoff: 1_000, maxBackoff: 900_000, forgiveEvery: 600_000, concurrentChecks: 4, waitingChecks: 256 });
  });

  test('logins: durations as words, 0 to never forget; a throttle that lets no failure through is refused', () => {
    const file = write('librarian.yaml', 'logins:\n  freeFailuresPerAccount: 3\n  maxBackoff: 1h\n  forgiveEvery: 0\n');
    expect(loadConfig(file, {}).logins).toEqual({ freeFailuresPerAccount: 3, freeFailuresPerAddress: 20, firstBackoff: 1_000, maxBackoff: 3_600_000, forgiveEvery: 0, concurrentChecks: 4, waitingChecks: 256 });
    expect(loadConfig(file, { LIBRARIAN_LOGINS__CONCURRENT_CHECKS: '2' }).logins.concurrentChecks).toBe(2);
    expect(errorOf(() => loadConfig(write('l.yaml', 'logins:\n  freeFailuresPerAddress: 0\n'), {}))).toMatch(/logins\.freeFailuresPerAddress: /);
    expect(errorOf(() => loadConfig(write('m.yaml', 'logins:\n  firstBackoff: soon\n'), {}))).toMatch(/logins\.firstBackoff: "soon" is not a duration/);
  });

  test('store paths are resolved against the configuration file and options get defaults', () => {
    const file = write('librarian.yaml', 'stores:\n  - name: main\n    stagingPath: s/staging\n    storePath: /abs/store\n');
    const [s] = loadConfig(file, {}).stores;
    expect(s).toEqual({
      name: 'main',
      type: 'local',
      ingestable: true,
      enabled: true,
      stagingPath: path.join(path.dirname(file), 's/staging'),
      storePath: '/abs/store',
      reportFullFraction: 1,
      groupWriteAfterStage: false,
      ownAfterCommit: false,
      readonlyAfterCommit: false,
      maxCopyRetries: 3,
      trustClientCopies: false,
      transferMethods: { local: { hostnames: [] } },
    });
  });

  test('environment overrides nested fields, parsed as JSON where possible', () => {
    const file = write('librarian.json', JSON.stringify({ api: { port: 1 } }));
    const c = loadConfig(file, {
      LIBRARIAN_API__PORT: '9001',
      LIBRARIAN_DISPLAYED_SITE_NAME: 'Mountain site',
      LIBRARIAN_HEALTH_CHECK__EVERY: '"2m"',
      LIBRARIAN_CONFIG: '/ignored', // not a setting
    });
    expect(c.api.port).toBe(9001);
    expect(c.displayedSiteName).toBe('Mountain site');
    expect(c.healthCheck.every).toBe(120_000);
  });

  test('a bad field is named, with the variable it came from', () => {
    const file = write('librarian.yaml', 'api:\n  port: 70000\n');
    expect(errorOf(() => loadConfig(file, {}))).toMatch(/api\.port: .*65535/);
    expect(errorOf(() => loadConfig(file, { LIBRARIAN_API__PORT: 'eighty' }))).toMatch(/api\.port \(from LIBRARIAN_API__PORT\): .*number/);
  });

  test('other invalid settings are reported with their field', () => {
    expect(errorOf(() => loadConfig(write('a.yaml', 'name: "bad name!"\n'), {}))).toMatch(/name: use letters/);
    expect(errorOf(() => loadConfig(write('b.yaml', 'database:\n  provider: oracle\n'), {}))).toMatch(/database\.provider/);
    expect(errorOf(() => loadConfig(write('c.yaml', 'database:\n  provider: postgresql\n'), {}))).toMatch(/database\.url: required/);
    expect(errorOf(() => loadConfig(write('d.yaml', 'stores:\n  - name: x\n'), {}))).toMatch(/stores\.0\.stagingPath/);
    expect(errorOf(() => loadConfig(write('e.yaml', 'healthCheck:\n  every: soon\n'), {}))).toMatch(/healthCheck\.every: "soon" is not a duration/);
    const dup = 'stores:\n  - {name: a, stagingPath: x, storePath: y}\n  - {name: a, stagingPath: z, storePath: w}\n';
    expect(errorOf(() => loadConfig(write('f.yaml', dup), {}))).toMatch(/"a" appears twice/);
    expect(errorOf(() => loadConfig(write('g.yaml', 'api: [1'), {}))).toMatch(/not valid YAML/);
    expect(errorOf(() => loadConfig('/nonexistent/librarian.yaml', {}))).toMatch(/does not exist/);
  });

  test('temporal.tls: paths resolved against the configuration file, certificate and key together, files read when connecting', () => {
    const file = write('librarian.yaml', 'temporal:\n  address: temporal.internal:7233\n  tls: {caFile: certs/ca.pem, certFile: certs/me.pem, keyFile: certs/me.key, serverName: temporal}\n');
    const dir = path.dirname(file);
    expect(loadConfig(file, {}).temporal.tls).toEqual({ caFile: path.join(dir, 'certs/ca.pem'), certFile: path.join(dir, 'certs/me.pem'), keyFile: path.join(dir, 'certs/me.key'), serverName: 'temporal' });
    expect(loadConfig(undefined, {}).temporal.tls).toBeUndefined();
    const half = write('librarian.yaml', 'temporal: {tls: {certFile: me.pem}}\n');
    expect(errorOf(() => loadConfig(half, {}))).toMatch(/temporal\.tls: certFile and keyFile go together/);
    const typo = write('librarian.yaml', 'temporal: {tls: {caFlie: ca.pem}}\n');
    expect(errorOf(() => loadConfig(typo, {}))).toMatch(/temporal\.tls/);
    // Read at connect time, with the field and path named when missing.
    mkdirSync(path.join(dir, 'certs'));
    writeFileSync(path.join(dir, 'certs/ca.pem'), 'CA');
    expect(errorOf(() => temporalTls(loadConfig(file, {}).temporal.tls))).toBe(`Invalid configuration: temporal.tls.certFile points to ${path.join(dir, 'certs/me.pem')}, which cannot be read (ENOENT: no such file or directory, open '${path.join(dir, 'certs/me.pem')}').`);
    writeFileSync(path.join(dir, 'certs/me.pem'), 'CRT');
    writeFileSync(path.join(dir, 'certs/me.key'), 'KEY');
    const tls = temporalTls(loadConfig(file, {}).temporal.tls)!;
    expect({ name: tls.serverNameOverride, ca: String(tls.serverRootCACertificate), crt: String(tls.clientCertPair?.crt), key: String(tls.clientCertPair?.key) }).toEqual({ name: 'temporal', ca: 'CA', crt: 'CRT', key: 'KEY' });
  });

  test('secrets can come from files', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    writeFileSync(path.join(dir, 'db-url'), 'postgresql://u:p@db:5432/lib\n');
    writeFileSync(path.join(dir, 'key'), 'secret-key\n');
    const file = path.join(dir, 'librarian.yaml');
    writeFileSync(file, 'database:\n  provider: postgresql\n  urlFile: db-url\nencryptionKeyFile: key\n');
    const c = loadConfig(file, {});
    expect(c.database.url).toBe('postgresql://u:p@db:5432/lib');
    expect(c.encryptionKey).toBe('secret-key');
    writeFileSync(file, 'encryptionKeyFile: missing\n');
    expect(errorOf(() => loadConfig(file, {}))).toMatch(/encryptionKeyFile points to .*missing, which cannot be read/);
  });
});

test('a duration that is empty or not one is refused with a reason, never thrown', () => {
  for (const v of ['', 'x'.repeat(200), 'soon', -1]) {
    const r = durationSchema.safeParse(v);
    expect([v, r.success]).toEqual([v, false]);
  }
  expect(durationSchema.parse('90s')).toBe(90_000);
  expect(durationSchema.parse(2)).toBe(2000);
});
