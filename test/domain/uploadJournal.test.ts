/**
 * The journal of an HTTP directory upload (src/domain/uploads/uploadState.ts), on real files:
 * what it lists after groups, removals and a crash that cut its last line, and that it trusts
 * only lines signed with the transfer's key.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JOURNAL_SYNC, readUploadState, UPLOAD_JOURNAL_FILE, UploadJournal } from '../../src/domain/uploads/uploadState';
import { tmpDir } from '../support/data';

const entry = (size: number, digest: string) => ({ size, mtimeMs: 1, ctimeMs: 2, digest });
const KEY = 'the-transfers-journal-key';

describe('upload journal', () => {
  test('files are listed once their group is synced; removals at once; a cut last line is ignored and dropped', async () => {
    const dir = tmpDir('journal-');
    const root = path.join(dir, 'book');
    mkdirSync(path.join(root, 'a'), { recursive: true });
    const file = (rel: string) => {
      writeFileSync(path.join(root, rel), 'x');
      return path.join(root, rel);
    };
    const j = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' }, KEY);
    await j.record('a/1', file('a/1'), entry(1, 'd1'));
    await j.record('a/2', file('a/2'), entry(1, 'd2'));
    expect(j.receivedBytes).toBe(2);
    // Not yet synced: a crash now would lose these two entries (their files are sent again).
    expect(await readUploadState(dir, KEY)).toEqual({ kind: 'directory', algorithm: 'xxh3', files: {} });
    await j.sync();
    expect((await readUploadState(dir, KEY))?.files).toEqual({ 'a/1': entry(1, 'd1'), 'a/2': entry(1, 'd2') });

    await j.record('b', file('b'), entry(1, 'db'));
    await j.remove('a');
    expect(j.receivedBytes).toBe(1);
    // The removal is written at once; the pending "b" waits for its group.
    expect((await readUploadState(dir, KEY))?.files).toEqual({});
    await j.close();
    expect((await readUploadState(dir, KEY))?.files).toEqual({ b: entry(1, 'db') });

    // A crash in the middle of a line: the line is not read, and the next request starts afresh after it.
    appendFileSync(path.join(dir, UPLOAD_JOURNAL_FILE), '{"path":"c","si');
    expect((await readUploadState(dir, KEY))?.files).toEqual({ b: entry(1, 'db') });
    const again = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' }, KEY);
    await again.record('c', file('c'), entry(1, 'dc'));
    await again.close();
    expect((await readUploadState(dir, KEY))?.files).toEqual({ b: entry(1, 'db'), c: entry(1, 'dc') });
    expect(readFileSync(path.join(dir, UPLOAD_JOURNAL_FILE), 'utf8').split('\n')).toHaveLength(7);
  });

  test(`a group is synced every ${JOURNAL_SYNC.files} files`, async () => {
    const dir = tmpDir('journal-');
    mkdirSync(path.join(dir, 'book'));
    const j = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'md5' }, KEY);
    for (let i = 0; i < JOURNAL_SYNC.files + 5; i++) {
      const abs = path.join(dir, 'book', `f${i}`);
      writeFileSync(abs, '');
      await j.record(`f${i}`, abs, entry(0, `d${i}`));
    }
    expect(Object.keys((await readUploadState(dir, KEY))!.files)).toHaveLength(JOURNAL_SYNC.files);
    await j.close();
    expect(Object.keys((await readUploadState(dir, KEY))!.files)).toHaveLength(JOURNAL_SYNC.files + 5);
  });

  test('only lines signed with the transfer\'s key are trusted: forged, unsigned and other transfers\' lines are ignored', async () => {
    const dir = tmpDir('journal-');
    mkdirSync(path.join(dir, 'book'));
    writeFileSync(path.join(dir, 'book', 'a'), 'x');
    const j = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' }, KEY);
    await j.record('a', path.join(dir, 'book', 'a'), entry(1, 'da'));
    await j.close();
    const journal = path.join(dir, UPLOAD_JOURNAL_FILE);
    const honest = readFileSync(journal, 'utf8');
    const [, line] = honest.split('\n');
    expect(JSON.parse(line!)).toEqual({ path: 'a', ...entry(1, 'da'), mac: expect.stringMatching(/^[\w-]{43}$/) });

    // What a client that can write into staging might add: a digest of its choosing for "a", a
    // file nothing received, a removal, a copied line with its digest changed, garbage.
    const forged = JSON.stringify({ path: 'a', ...entry(1, 'chosen') });
    const copied = line!.replace('"da"', '"chosen"');
    appendFileSync(journal, `${forged}\n${JSON.stringify({ path: 'b', ...entry(1, 'db'), mac: 'x' })}\n${JSON.stringify({ path: 'a', removed: true })}\n${copied}\nnull\n[]\n`);
    expect(await readUploadState(dir, KEY)).toEqual({ kind: 'directory', algorithm: 'xxh3', files: { a: entry(1, 'da') } });
    // Lines the receiver appends after them still count.
    const again = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' }, KEY);
    writeFileSync(path.join(dir, 'book', 'c'), 'x');
    await again.record('c', path.join(dir, 'book', 'c'), entry(1, 'dc'));
    await again.close();
    expect((await readUploadState(dir, KEY))?.files).toEqual({ a: entry(1, 'da'), c: entry(1, 'dc') });

    // Another transfer's key, no key (a transfer staged before keys), an unsigned journal: nothing.
    expect(await readUploadState(dir, 'another-transfers-key')).toBeUndefined();
    expect(await readUploadState(dir, null)).toBeUndefined();
    writeFileSync(journal, `${JSON.stringify({ kind: 'directory', algorithm: 'xxh3' })}\n${forged}\n`);
    expect(await readUploadState(dir, KEY)).toBeUndefined();
    // The receiver then starts the journal afresh: nothing counts as received.
    const fresh = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' }, KEY);
    expect(fresh.receivedBytes).toBe(0);
    await fresh.close();
    expect(await readUploadState(dir, KEY)).toEqual({ kind: 'directory', algorithm: 'xxh3', files: {} });
  });

  test('the unsigned state file of staging areas from before the journal is not read', async () => {
    const dir = tmpDir('journal-');
    mkdirSync(path.join(dir, 'book'));
    writeFileSync(path.join(dir, '.librarian-upload-state.json'), JSON.stringify({ kind: 'directory', algorithm: 'xxh3', files: { old: entry(3, 'do') } }));
    expect(await readUploadState(dir, KEY)).toBeUndefined();
    const j = await UploadJournal.open(dir, { kind: 'directory', algorithm: 'xxh3' }, KEY);
    expect(j.receivedBytes).toBe(0);
    await j.close();
    expect(existsSync(path.join(dir, '.librarian-upload-state.json'))).toBe(false);
  });
});
