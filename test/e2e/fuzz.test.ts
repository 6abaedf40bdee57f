/**
 * A bounded property-based fuzz of every endpoint, generated from the OpenAPI document the server
 * serves: Schemathesis (scripts/schemathesis.sh) sends examples, boundary values and random valid
 * and invalid bodies, as an admin, and checks that no answer is a 5xx, that every status is one
 * the document lists, that every answer (the error body of every 4xx too) matches its schema, and
 * that a method a path does not serve is 405; every operation of the document must have been run.
 * The seed is fixed, so a failure reproduces; its report (JUnit) is kept in the Librarian's
 * directory, where its caches go too.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROVIDERS, startLibrarian, stopAllLibrarians } from '../support/librarian';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** Test cases per endpoint and mode: enough to reach every field's edges, bounded for CI. */
const EXAMPLES = Number(process.env.LIBRARIAN_FUZZ_EXAMPLES ?? 10);

afterAll(stopAllLibrarians);

describe.each(PROVIDERS)('every endpoint, fuzzed from the OpenAPI document, on %s', (provider) => {
  test(
    'no 5xx; every status documented; every answer and error body as the document says',
    async () => {
      const { stdout } = await run('bash', [path.join(ROOT, 'scripts/schemathesis.sh')]);
      const st = stdout.trim();
      const lib = await startLibrarian({ provider });
      const report = path.join(lib.dir, 'schemathesis.xml');
      const args = [
        'run',
        `${lib.url}/api/v2/openapi.json`,
        '--checks',
        'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method',
        '--max-examples',
        String(EXAMPLES),
        '--seed',
        '20261201',
        '--phases',
        'examples,coverage,fuzzing',
        '--workers',
        '2',
        '--request-timeout',
        '120',
        '--auth',
        `${lib.admin.username}:${lib.admin.password}`,
        '--suppress-health-check',
        'all',
        '--report',
        'junit',
        '--report-junit-path',
        report,
        '--output-truncate',
        'false',
      ];
      const result = await run(st, args, { cwd: lib.dir, maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000, env: { ...process.env, NO_COLOR: '1' } }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
      );
      // The whole report on failure: each problem with the request that reproduces it.
      expect([result.code, result.code === 0 ? '' : result.out]).toEqual([0, '']);
      // It did run, and every operation of the document was exercised.
      const junit = readFileSync(report, 'utf8');
      const exercised = new Set([...junit.matchAll(/<testcase[^>]* name="([A-Z]+ [^"]+)"/g)].map((m) => m[1]));
      const doc = (await (await fetch(`${lib.url}/api/v2/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
      expect(operations.length).toBeGreaterThan(60);
      expect(operations.filter((o) => !exercised.has(o))).toEqual([]);
    },
    30 * 60_000,
  );
});
