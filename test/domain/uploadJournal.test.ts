/**
 * The journal of an HTTP directory upload (src/domain/uploads/uploadState.ts), on real files:
 * what it lists after groups, removals and a crash that cut its last line.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JOURNAL_SYNC, readUploadState, UPLOAD_JOURNAL_FILE, UploadJournal } from '../../src/domain/uploads/uploadState';
import { tmpDir } from '../support/data';

const entry = (size: number, digest: string) => ({ size, mtimeMs: 1, digest });

describe('upload journal', () => {
  test('files are listed once their group is synced; removals at once; a cut last line is ignored and dropped', async () => {
    const dir = tmpDir('journal-');
    const root = path.join(dir, 'book');
    mkdirSync(path.join(root, 'a'), { recursive: true });
    const file = (rel: string) => {
      writeFileSync(path.join(root, rel), 'x');
      return path.join(root, rel);
    };
    const j = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' });
    await j.record('a/1', file('a/1'), entry(1, 'd1'));
    await j.record('a/2', file('a/2'), entry(1, 'd2'));
    expect(j.receivedBytes).toBe(2);
    // Not yet synced: a crash now would lose these two entries (their files are sent again).
    expect(await readUploadState(dir)).toEqual({ kind: 'directory', algorithm: 'xxh3', files: {} });
    await j.sync();
    expect((await readUploadState(dir))?.files).toEqual({ 'a/1': entry(1, 'd1'), 'a/2': entry(1, 'd2') });

    await j.record('b', file('b'), entry(1, 'db'));
    await j.remove('a');
    expect(j.receivedBytes).toBe(1);
    // The removal is written at once; the pending "b" waits for its group.
    expect((await readUploadState(dir))?.files).toEqual({});
    await j.close();
    expect((await readUploadState(dir))?.files).toEqual({ b: entry(1, 'db') });

    // A crash in the middle of a line: the line is not read, and the next request starts afresh after it.
    appendFileSync(path.join(dir, UPLOAD_JOURNAL_FILE), '{"path":"c","si');
    expect((await readUploadState(dir))?.files).toEqual({ b: entry(1, 'db') });
    const again = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' });
    await again.record('c', file('c'), entry(1, 'dc'));
    await again.close();
    expect((await readUploadState(dir))?.files).toEqual({ b: entry(1, 'db'), c: entry(1, 'dc') });
    expect(readFileSync(path.join(dir, UPLOAD_JOURNAL_FILE), 'utf8').split('\n')).toHaveLength(7);
  });

  test(`a group is synced every ${JOURNAL_SYNC.files} files`, async () => {
    const dir = tmpDir('journal-');
    mkdirSync(path.join(dir, 'book'));
    const j = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'md5' });
    for (let i = 0; i < JOURNAL_SYNC.files + 5; i++) {
      const abs = path.join(dir, 'book', `f${i}`);
      writeFileSync(abs, '');
      await j.record(`f${i}`, abs, entry(0, `d${i}`));
    }
    expect(Object.keys((await readUploadState(dir))!.files)).toHaveLength(JOURNAL_SYNC.files);
    await j.close();
    expect(Object.keys((await readUploadState(dir))!.files)).toHaveLength(JOURNAL_SYNC.files + 5);
  });

  test('a staging area from before the journal (one JSON state file) is read and carried on', async () => {
    const dir = tmpDir('journal-');
    mkdirSync(path.join(dir, 'book'));
    writeFileSync(path.join(dir, '.librarian-upload-state.json'), JSON.stringify({ kind: 'directory', algorithm: 'xxh3', files: { old: entry(3, 'do') } }));
    expect((await readUploadState(dir))?.files).toEqual({ old: entry(3, 'do') });
    const j = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' });
    expect(j.receivedBytes).toBe(3);
    writeFileSync(path.join(dir, 'book', 'new'), 'x');
    await j.record('new', path.join(dir, 'book', 'new'), entry(1, 'dn'));
    await j.close();
    expect((await readUploadState(dir))?.files).toEqual({ old: entry(3, 'do'), new: entry(1, 'dn') });
  });
});
