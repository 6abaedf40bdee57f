/**
 * The Globus adapter (domain/globus) through the real @globus/sdk against the local fake: what may
 * heal is thrown as a plain error (Temporal retries it), what will not as a LibrarianError; a
 * refused token is fetched again; a retried submit makes no second task; fatal faults are believed
 * only after several polls.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../src/config';
import { GlobusService, useGlobusServiceUrls } from '../../src/domain/globus/globus';
import { createLogger } from '../../src/logger';
import { LibrarianError } from '../../src/shared/errors';
import { tmpDir } from '../support/data';
import { FakeGlobus } from '../support/fakeGlobus';

let fake: FakeGlobus;
let globus: GlobusService;
const src = randomUUID();
const dst = randomUUID();
const dirs = { src: tmpDir('globus-src-'), dst: tmpDir('globus-dst-') };

let newService: () => GlobusService;

beforeAll(async () => {
  fake = new FakeGlobus({ 'client-g': 'secret-g' }, { [src]: dirs.src, [dst]: dirs.dst });
  const url = await fake.start();
  const config = configSchema.parse({
    name: 'g',
    globus: { enabled: true, clientId: 'client-g', clientSecret: 'secret-g', localEndpointId: src, transferUrl: url, authUrl: url, requestTimeout: '1s' },
  });
  useGlobusServiceUrls(config.globus);
  newService = () => new GlobusService(config.globus, createLogger({ ...config, log: { level: 'fatal' } }, 'test'));
  globus = newService();
});
afterAll(() => fake.stop());
afterEach(() => {
  fake.clearOutage();
  fake.plan = { delayMs: 50, hold: false };
});

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
}

function item(name: string) {
  mkdirSync(dirs.src, { recursive: true });
  writeFileSync(path.join(dirs.src, name), `data of ${name}`);
  return [{ sourcePath: `/${name}`, destinationPath: `/${name}`, recursive: false }];
}

test('one token serves many calls; a revoked one is fetched again once, and the call goes through', async () => {
  const tokens = fake.count('POST', '/v2/oauth2/token');
  const sid = await globus.submissionId();
  await globus.submissionId();
  expect(fake.count('POST', '/v2/oauth2/token') - tokens).toBe(1);
  const before = fake.count('POST', '/v2/oauth2/token');
  fake.revokeTokens();
  const task = await globus.submit(sid, dst, item('a.dat'), 'test a');
  expect(fake.count('POST', '/v2/oauth2/token')).toBe(before + 1);
  expect(fake.tasks.has(task)).toBe(true);
});

test('calls at the same moment without a token share one token request', async () => {
  const fresh = newService();
  const tokens = fake.count('POST', '/v2/oauth2/token');
  await Promise.all(Array.from({ length: 6 }, () => fresh.submissionId()));
  expect(fake.count('POST', '/v2/oauth2/token') - tokens).toBe(1);
});

test('an outage of any kind is a plain error to retry, never a refusal', async () => {
  for (const mode of ['json503', 'html503', 'reset', 'hang'] as const) {
    fake.setOutage('all', mode, 60_000);
    const e = await failure(globus.submissionId());
    expect([mode, e instanceof LibrarianError]).toEqual([mode, false]);
    expect(e.message).toMatch(/^Globus (submission id|authentication)/);
    fake.clearOutage();
  }
  expect(typeof (await globus.submissionId())).toBe('string');
});

test('a submit whose reply was lost, sent again with the same submission id, gives the same single task', async () => {
  fake.plan.loseNextSubmitReply = true;
  const tasks = fake.tasks.size;
  const sid = await globus.submissionId();
  const lost = await failure(globus.submit(sid, dst, item('b.dat'), 'test b'));
  expect(lost).not.toBeInstanceOf(LibrarianError);
  const task = await globus.submit(sid, dst, item('b.dat'), 'test b');
  expect(fake.tasks.size - tasks).toBe(1);
  expect(fake.duplicatesAnswered).toBe(1);
  expect(fake.tasks.get(task)?.items).toEqual([{ DATA_TYPE: 'transfer_item', source_path: '/b.dat', destination_path: '/b.dat', recursive: false }]);
});

test('watching: running is an error to retry, success carries bytes and times, a fatal fault is believed after three polls', async () => {
  fake.plan.hold = true;
  const held = await globus.submit(await globus.submissionId(), dst, item('c.dat'), 'test c');
  expect((await failure(globus.watch(held, { fatalFaultPolls: 3, intervalMs: 10 }))).message).toBe(`Globus task ${held} is ACTIVE (OK).`);
  await fake.succeed(held);
  expect(await globus.watch(held, { fatalFaultPolls: 3, intervalMs: 10 })).toMatchObject({ status: 'SUCCEEDED', bytes: 'data of c.dat'.length, files: 1, requestTime: expect.any(String), completionTime: expect.any(String), sourceEndpointId: src, destinationEndpointId: dst });

  fake.plan.faultCode = 'PERMISSION_DENIED';
  const faulted = await globus.submit(await globus.submissionId(), dst, item('d.dat'), 'test d');
  const polls = () => fake.count('GET', `/v0.10/task/${faulted}`) - fake.count('GET', `/v0.10/task/${faulted}/`);
  expect(await globus.watch(faulted, { fatalFaultPolls: 3, intervalMs: 10 })).toEqual({ status: 'FATAL_FAULT', reason: `Globus task ${faulted} keeps failing with PERMISSION_DENIED: PERMISSION_DENIED on the destination` });
  expect(polls()).toBe(3);
  await globus.cancel(faulted);
  expect(fake.tasks.get(faulted)).toMatchObject({ status: 'FAILED', fatal_error: { code: 'CANCELED' } });
  expect(await globus.watch(faulted, { fatalFaultPolls: 3, intervalMs: 10 })).toEqual({ status: 'FAILED', reason: `Globus task ${faulted} failed: CANCELED The task was canceled by the user.` });
});

test('what Globus refuses for good is a LibrarianError (not retried)', async () => {
  const e = await failure(globus.submit(await globus.submissionId(), randomUUID(), item('e.dat'), 'test e'));
  expect(e).toBeInstanceOf(LibrarianError);
  expect((e as LibrarianError).reason).toMatch(/^Globus refused transfer submission \(HTTP 404 EndpointNotFound/);
  expect((await failure(globus.task(randomUUID()))) instanceof LibrarianError).toBe(true);
});
