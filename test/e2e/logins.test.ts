/**
 * Logins under guessing, over HTTP against a real API process on each catalog: backoff per
 * account and per address (429 with Retry-After, before any hash, logged), a peer's account
 * attacked from elsewhere still letting the peer in, and unknown names costing as long as wrong
 * passwords. Attackers get their own source addresses on the loopback (127.0.0.x), so the
 * address the other tests use stays clean. The rules on a fake clock: test/unit/loginThrottle.test.ts.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { reason?: string; suggested_remedy?: string; retry_after?: number };
  ms: number;
}

/** POST ping/logged as `username` from the loopback address `from`. */
function login(lib: LibrarianHandle, username: string, password: string, from = '127.0.0.1'): Promise<Answer> {
  const url = new URL(`${lib.url}/api/v2/ping/logged`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'), ms: performance.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

async function metric(lib: LibrarianHandle, name: string): Promise<number> {
  const text = await (await fetch(`${lib.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.each(PROVIDERS)('logins on %s', (provider) => {
  let lib: LibrarianHandle;
  const logLines = () =>
    readFileSync(path.join(lib.dir, 'server.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('login backoff'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    // The API alone; 10 s backoffs, so a burst of guesses surely ends inside the first one.
    lib = await startLibrarian({ provider, worker: false, config: { logins: { freeFailuresPerAccount: 5, freeFailuresPerAddress: 12, firstBackoff: '10s', maxBackoff: '1m', concurrentChecks: 2 } } });
    for (const [username, level] of [['carol', 3], ['dave', 1], ['site-b', 3], ['erin', 1]] as const) {
      await lib.client().post('users/create', { username, password: `${username}-password`, permission: level });
    }
  });
  afterAll(stopAllLibrarians);

  test('30 wrong passwords: 5 are checked, then 429 with Retry-After, unhashed and logged; the right one from there waits, from elsewhere it works', async () => {
    const checks = await metric(lib, 'librarian_login_password_checks_total');
    const answers: Answer[] = [];
    for (let i = 0; i < 30; i++) answers.push(await login(lib, 'carol', `guess-${i}`, '127.0.0.2'));
    expect(answers.map((a) => a.status)).toEqual([...Array(5).fill(401), ...Array(25).fill(429)]);
    for (const a of answers.slice(5)) {
      const wait = Number(a.retryAfter);
      expect(Number.isInteger(wait) && wait >= 1 && wait <= 10).toBe(true);
      expect(a.body).toEqual({
        reason: `Too many failed logins for "carol", some of them from 127.0.0.2: wait ${wait} s before trying again.`,
        suggested_remedy: 'Check the username and password of your connection (librarian connections list); each further failure doubles the wait, up to 1 minute.',
        retry_after: wait,
      });
    }
    expect((await metric(lib, 'librarian_login_password_checks_total')) - checks).toBe(5);
    expect(await metric(lib, 'librarian_login_refused_total{reason="account"}')).toBeGreaterThanOrEqual(25);

    // The right password from the guessing address waits like a guess (it is not checked)...
    const right = await login(lib, 'carol', 'carol-password', '127.0.0.2');
    expect([right.status, right.body.reason]).toEqual([429, expect.stringMatching(/^Too many failed logins for "carol"/)]);
    // ...and from any other address it works at once.
    expect((await login(lib, 'carol', 'carol-password', '127.0.0.1')).status).toBe(200);
    expect((await login(lib, 'carol', 'carol-password', '127.0.0.9')).status).toBe(200);
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 40, address: '127.0.0.2', account: 'carol', failures: 5, backoffSeconds: 10 }));
    // Once the wait is over, the right password from there works too.
    await waitFor('the backoff to end', async () => (await login(lib, 'carol', 'carol-password', '127.0.0.2')).status === 200, 30_000, 500);
  });

  test('an address guessing at many names, known or not, waits for every account; other addresses do not', async () => {
    const answers: number[] = [];
    // Dave gets 4 of them (fewer than his account's 5), the last one among them.
    for (let i = 0; i < 12; i++) answers.push((await login(lib, i % 3 === 2 ? 'dave' : `nobody-${i}`, `guess-${i}`, '127.0.0.3')).status);
    expect(answers).toEqual(Array(12).fill(401));
    const held = await login(lib, 'erin', 'erin-password', '127.0.0.3');
    expect([held.status, held.retryAfter, held.body.reason]).toEqual([429, expect.stringMatching(/^([1-9]|10)$/), expect.stringMatching(/^Too many failed logins from 127\.0\.0\.3: wait ([1-9]|10) s before trying again\.$/)]);
    expect((await login(lib, 'erin', 'erin-password', '127.0.0.1')).status).toBe(200);
    expect((await login(lib, 'dave', 'dave-password', '127.0.0.1')).status).toBe(200);
    // Names that are no account are not logged (they may be passwords typed in the wrong field).
    const line = logLines().find((l) => l.address === '127.0.0.3' && l.failures === 12);
    expect(line).toMatchObject({ account: 'dave' });
    expect(JSON.stringify(logLines())).not.toContain('nobody-');
  });

  test("16 concurrent guesses at a peer's account cost 5 hashes; the peer's correct password from its own address still works", async () => {
    const checks = await metric(lib, 'librarian_login_password_checks_total');
    const burst = await Promise.all(Array.from({ length: 16 }, (_, i) => login(lib, 'site-b', `guess-${i}`, '127.0.0.4')));
    expect(burst.map((a) => a.status).sort()).toEqual([...Array(5).fill(401), ...Array(11).fill(429)]);
    expect((await metric(lib, 'librarian_login_password_checks_total')) - checks).toBe(5);
    // The peer logs in for the first time since the attack (nothing cached), from its own address and from a new one.
    for (const from of ['127.0.0.1', '127.0.0.5']) {
      const peer = await login(lib, 'site-b', 'site-b-password', from);
      expect([from, peer.status]).toEqual([from, 200]);
    }
    expect((await login(lib, 'site-b', 'site-b-password', '127.0.0.4')).status).toBe(429);
  });

  test('an unknown name takes as long to refuse as a wrong password for an account that exists', async () => {
    // Each try from a fresh address: neither the addresses nor (for those addresses) the account hold them back.
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 1; i <= 21; i++) {
      const w = await login(lib, 'erin', `guess-${i}`, `127.0.1.${i}`);
      const u = await login(lib, `ghost-${i}`, `guess-${i}`, `127.0.2.${i}`);
      expect([w.status, u.status]).toEqual([401, 401]);
      expect(u.body).toEqual(w.body);
      wrong.push(w.ms);
      unknown.push(u.ms);
    }
    // Without the dummy hash an unknown name was answered some 40 times sooner; a loaded machine
    // moves single tries, not the medians of interleaved ones, by a factor of two.
    const ratio = median(unknown) / median(wrong);
    expect({ ratio, within: ratio > 0.5 && ratio < 2 }).toEqual({ ratio, within: true });
  });
});
