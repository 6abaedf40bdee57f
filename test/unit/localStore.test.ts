import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LibrarianError } from '../../src/shared/errors';
import { localStoreSettingsSchema } from '../../src/config/stores';
import { LocalStore, safeRelativePath } from '../../src/domain/stores/localStore';

function store(extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'store-'));
  mkdirSync(path.join(dir, 'staging'));
  mkdirSync(path.join(dir, 'store'));
  return new LocalStore('s', localStoreSettingsSchema.parse({ stagingPath: path.join(dir, 'staging'), storePath: path.join(dir, 'store'), ...extra }));
}

describe('local store', () => {
  test.each(['../etc/passwd', '/etc/passwd', 'a/../../b', 'a//b', './a', 'a/.', '', 'C:/x', 'a\0b'])('rejects unsafe path %j with 400', (p) => {
    expect(() => safeRelativePath(p)).toThrow(LibrarianError);
    try {
      safeRelativePath(p);
    } catch (e) {
      expect((e as LibrarianError).status).toBe(400);
    }
  });

  test('accepts nested relative names', () => {
    expect(safeRelativePath('obs/2026/book_1')).toBe('obs/2026/book_1');
  });

  test('free space honours reportFullFraction and is -1 when unmounted', async () => {
    const s = store();
    expect(await s.freeSpace()).toBeGreaterThan(0);
    expect(await store({ reportFullFraction: 0 }).freeSpace()).toBe(0);
    await fs.rm(s.storeRoot, { recursive: true });
    expect(await s.available()).toBe(false);
    expect(await s.freeSpace()).toBe(-1);
  });

  test('a staging directory is group writable whatever the umask when groupWriteAfterStage is set', async () => {
    const old = process.umask(0o077);
    try {
      const plain = await store().makeStagingDir(randomUUID());
      expect((await fs.stat(plain)).mode & 0o777).toBe(0o700);
      const s = store({ groupWriteAfterStage: true });
      const name = randomUUID();
      const dir = await s.makeStagingDir(name);
      expect(dir).toBe(path.join(s.stagingRoot, name));
      expect((await fs.stat(dir)).mode & 0o777).toBe(0o775);
    } finally {
      process.umask(old);
    }
  });

  test('a symbolic link inside the store cannot lead outside it', async () => {
    const s = store();
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    symlinkSync(outside, path.join(s.storeRoot, 'escape'));
    await expect(s.assertInside(s.storeRoot, path.join(s.storeRoot, 'escape/file'))).rejects.toThrow(/symbolic link/);
    await expect(s.assertInside(s.storeRoot, path.join(s.storeRoot, 'fine/file'))).resolves.toBeUndefined();
  });
});
