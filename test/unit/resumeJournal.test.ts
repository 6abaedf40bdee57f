/**
 * The client's note of interrupted HTTP uploads (src/client/resumeJournal.ts): what a later run
 * finds, which notes count as resumable, and that old notes do not pile up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ResumeJournal } from '../../src/client/resumeJournal';
import { tmpDir } from '../support/data';

const DAY = 86_400_000;

test('a note is found by server, destination and content, and goes when deleted', () => {
  const file = path.join(tmpDir('journal-'), 'uploads-in-progress.json');
  const j = new ResumeJournal<{ transfer_id: number }>(file);
  const key = ResumeJournal.key('http://a', 'obs/x', 'xxh3:::00', 10);
  expect(j.hasRecent(7 * DAY)).toBe(false);
  j.set(key, { transfer_id: 5 });
  expect(j.get(key)).toEqual({ transfer_id: 5 });
  // Other content under the same name is another upload.
  expect(j.get(ResumeJournal.key('http://a', 'obs/x', 'xxh3:::01', 10))).toBeUndefined();
  expect(j.hasRecent(7 * DAY)).toBe(true);
  j.delete(key);
  expect(j.get(key)).toBeUndefined();
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({});
});

test('only notes from the last week count as resumable; notes older than a month are dropped when another is written', () => {
  const file = path.join(tmpDir('journal-'), 'uploads-in-progress.json');
  const now = Date.parse('2026-12-02T12:00:00Z');
  const at = (daysAgo: number) => ({ staged: { transfer_id: daysAgo }, savedAt: new Date(now - daysAgo * DAY).toISOString() });
  writeFileSync(file, JSON.stringify({ eight: at(8), forty: at(40) }));
  const j = new ResumeJournal<{ transfer_id: number }>(file);
  expect(j.hasRecent(7 * DAY, now)).toBe(false);
  expect(j.hasRecent(9 * DAY, now)).toBe(true);
  j.set('new', { transfer_id: 0 }, now);
  expect(Object.keys(JSON.parse(readFileSync(file, 'utf8'))).sort()).toEqual(['eight', 'new']);
  expect(j.hasRecent(7 * DAY, now)).toBe(true);
});

test('a damaged note file counts as empty and is replaced by the next note', () => {
  const file = path.join(tmpDir('journal-'), 'uploads-in-progress.json');
  writeFileSync(file, '{not json');
  const j = new ResumeJournal<{ transfer_id: number }>(file);
  expect(j.hasRecent(7 * DAY)).toBe(false);
  j.set('k', { transfer_id: 1 });
  expect(j.get('k')).toEqual({ transfer_id: 1 });
});
