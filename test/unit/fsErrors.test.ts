/**
 * Which filesystem errors are permanent (src/shared/fsErrors.ts), from real system calls: those
 * fail a step at once with their HTTP status instead of being retried; the rest are retried.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'node:net';
import { diskKeptFailing, isFsError, permanentFsError } from '../../src/shared/fsErrors';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fs-errors-'));
writeFileSync(path.join(dir, 'a-file'), 'x');
mkdirSync(path.join(dir, 'a-dir/inside'), { recursive: true });

async function errorOf(p: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await p;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected the call to fail');
}

test.each([
  ['a segment over 255 bytes', () => fs.mkdir(path.join(dir, 'n'.repeat(300), 'x'), { recursive: true }), 400, 'a name is too long for the filesystem'],
  ['a file where a directory is needed', () => fs.mkdir(path.join(dir, 'a-file/sub'), { recursive: true }), 409, 'a part of the path is a file, not a directory'],
  ['a directory where a file is written', () => fs.writeFile(path.join(dir, 'a-dir'), 'x'), 409, 'a directory is in the way'],
  ['a non-empty directory as a rename target', () => fs.rename(path.join(dir, 'a-file'), path.join(dir, 'a-dir')), 409, 'a directory is in the way'],
])('%s: permanent', async (_what, call, status, what) => {
  const e = await errorOf(call());
  const le = permanentFsError(e, 'Storing "x"');
  expect(le).toBeDefined();
  expect([le!.status, le!.retryable, le!.reason]).toEqual([status, false, `Storing "x": ${what} (${e.message}).`]);
});

test('read-only, permission and full-disk errors are permanent 503 and 507; others are left to the retry policy', () => {
  const err = (code: string) => Object.assign(new Error(`${code}: something, mkdir '/store/x'`), { code, syscall: 'mkdir', errno: -1 });
  expect([permanentFsError(err('EROFS'))?.status, permanentFsError(err('EACCES'))?.status, permanentFsError(err('EPERM'))?.status]).toEqual([503, 503, 503]);
  expect([permanentFsError(err('ENOSPC'))?.status, permanentFsError(err('EDQUOT'))?.status]).toEqual([507, 507]);
  expect(permanentFsError(err('EROFS'))!.retryable).toBe(false);
  for (const code of ['EIO', 'ENOENT', 'EBUSY', 'ESTALE', 'EAGAIN', 'EMFILE']) expect(permanentFsError(err(code))).toBeUndefined();
  expect(permanentFsError(new Error('not from the filesystem'))).toBeUndefined();
});

test('a filesystem error names a path; a network error (the catalog, a peer) does not, though it has an errno code too', async () => {
  const disk = await errorOf(fs.readFile(path.join(dir, 'missing')));
  expect(isFsError(disk)).toBe(true);
  const net = await errorOf(
    new Promise((_resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port: 1 });
      s.on('error', reject);
    }),
  );
  expect([net.code, isFsError(net)]).toEqual(['ECONNREFUSED', false]);
  expect(isFsError(new Error('no code'))).toBe(false);
  const spent = diskKeptFailing(Object.assign(new Error("EIO: i/o error, mkdir '/s/x'"), { code: 'EIO', path: '/s/x' }), 8);
  expect([spent.status, spent.retryable, spent.reason, spent.details]).toEqual([503, false, "The disk kept failing (8 attempts; the last met EIO: i/o error, mkdir '/s/x').", { errno: 'EIO' }]);
});
