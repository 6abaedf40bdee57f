/**
 * A production Temporal server (not the dev server): the binaries temporal-dev/temporal-server.sh
 * builds, its schema applied to PostgreSQL by deploy/temporal/setup-schema.sh, started with
 * deploy/temporal/config/production.yaml — what an operator runs without containers. Its
 * databases live on the test run's PostgreSQL server, so it can be stopped and started again
 * with its state intact.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalTls } from '../../src/config/temporalTls';
import { freePortsBelow, waitFor } from './ports';
import { ROOT } from './temporalServer';

export interface TemporalCluster {
  address: string;
  /** With mutual TLS: the files a Librarian's temporal.tls names (client certificate signed by the cluster's CA). */
  tls?: { caFile: string; certFile: string; keyFile: string; serverName: string };
  /** A client connection as the Librarian makes it (TLS included). */
  connect(): Promise<Connection>;
  log(): string;
  start(): Promise<void>;
  /** SIGTERM, as systemd or Kubernetes stop it. */
  stop(): Promise<void>;
}

/** A CA, the frontend's certificate (also the system worker's client certificate) and a client certificate, by openssl. */
function makeCertificates(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const f = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test Temporal CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth'],
    ['client', 'librarian', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(f(`${name}.ext`), ext);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

export async function startTemporalCluster(opts: { tls?: boolean } = {}): Promise<TemporalCluster> {
  // CI builds it before the tests (.ci/run); a first local run builds it here.
  const serverDir = execFileSync(path.join(ROOT, 'temporal-dev/temporal-server.sh'), { encoding: 'utf8', timeout: 30 * 60_000, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const pg = new URL(process.env.LIBRARIAN_TEST_PG_URL!);
  const suffix = Math.random().toString(36).slice(2, 8);
  const env = {
    ...process.env,
    TEMPORAL_SERVER_DIR: serverDir,
    TEMPORAL_DB_HOST: pg.hostname,
    TEMPORAL_DB_PORT: pg.port || '5432',
    TEMPORAL_DB_USER: decodeURIComponent(pg.username),
    TEMPORAL_DB_PASSWORD: decodeURIComponent(pg.password),
    TEMPORAL_DB: `temporal_${suffix}`,
    TEMPORAL_VISIBILITY_DB: `temporal_visibility_${suffix}`,
  };
  execFileSync(path.join(ROOT, 'deploy/temporal/setup-schema.sh'), { env, stdio: ['ignore', 'ignore', 'pipe'] });

  // Temporal keeps membership ports in a smallint column: ports below 32768.
  const [frontend, http, history, matching, worker, m1, m2, m3, m4, metrics] = (await freePortsBelow(10)) as number[];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-cluster-'));
  const logFile = path.join(dir, 'temporal.log');
  Object.assign(env, {
    TEMPORAL_HOST: '127.0.0.1',
    TEMPORAL_FRONTEND_PORT: String(frontend),
    TEMPORAL_FRONTEND_HTTP_PORT: String(http),
    TEMPORAL_HISTORY_PORT: String(history),
    TEMPORAL_MATCHING_PORT: String(matching),
    TEMPORAL_WORKER_PORT: String(worker),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(m1),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(m2),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(m3),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(m4),
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${metrics}`,
    TEMPORAL_DYNAMIC_CONFIG: path.join(ROOT, 'deploy/temporal/dynamicconfig.yaml'),
    TEMPORAL_LOG_LEVEL: 'warn',
    // A test cluster: few shards start fast (production uses 512, see the configuration file).
    TEMPORAL_HISTORY_SHARDS: '4',
  });
  const address = `127.0.0.1:${frontend}`;
  let tls: TemporalCluster['tls'];
  if (opts.tls) {
    const certs = makeCertificates(dir);
    Object.assign(env, { TEMPORAL_TLS_CERT_FILE: certs.serverCert, TEMPORAL_TLS_KEY_FILE: certs.serverKey, TEMPORAL_TLS_CA_FILE: certs.ca, TEMPORAL_TLS_SERVER_NAME: 'localhost' });
    tls = { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey, serverName: 'localhost' };
  }
  const connect = () => Connection.connect({ address, connectTimeout: '1s', tls: temporalTls(tls) });
  let child: ChildProcess | undefined;
  let exited = true;

  const cluster: TemporalCluster = {
    address,
    tls,
    connect,
    log: () => readFileSync(logFile, 'utf8'),
    async start() {
      const out = openSync(logFile, 'a');
      child = spawn(path.join(serverDir, 'bin/temporal-server'), ['--root', '/', '--config', path.join(ROOT, 'deploy/temporal/config'), '--env', 'production', '--allow-no-auth', 'start'], { env, stdio: ['ignore', out, out] });
      exited = false;
      const gone = new Promise<never>((_, reject) =>
        child!.once('exit', (code) => {
          exited = true;
          reject(new Error(`temporal-server exited with ${code}:\n${cluster.log().slice(-3000)}`));
        }),
      );
      gone.catch(() => undefined);
      await Promise.race([gone, waitFor(
        `Temporal server at ${address} (log: ${logFile})`,
        async () => {
          if (exited) return false;
          const c = await connect();
          try {
            // The frontend answers before history owns its shards; listing namespaces needs both.
            await c.workflowService.listNamespaces({});
            return true;
          } finally {
            await c.close();
          }
        },
        120_000,
        250,
      )]);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (!child || exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child?.kill('SIGKILL'), 20_000).unref();
      }),
  };
  await cluster.start();
  return cluster;
}
