/**
 * Keeping data safe over time, end to end with three real Librarians: A (the telescope, which
 * must free its disk), B and C (computing centres). Files flow A→B and A→C; a byte flipped at B
 * and a file deleted at B are found by B's audit and repaired from A over corrupt/prepare and
 * corrupt/resend; data dropped into B's store is reported dark, left alone, then imported;
 * validation across sites reaches every copy once; A's rolling deletion keeps everything while C
 * is down, frees exactly the files B and C both verified, and keeps the one whose copy at C is
 * corrupt until C (told by that validation) has repaired it; a file with no good copy anywhere
 * is reported unrecoverable. Catalogs: A on PostgreSQL, B on SQLite, C on PostgreSQL.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cloneAll, expectCloned, fill, FAST_CLONE, type Uploaded } from '../support/clone';
import { closeChecksums, treeDigest } from '../support/data';
import { connectPeers, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';

jest.setTimeout(10 * 60_000);

let a: LibrarianHandle;
let b: LibrarianHandle;
let c: LibrarianHandle;
let files: Uploaded[];

const POLICY = 'telescope-disk';

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    // verifiedWithin 1s: every answer a deletion relies on is a fresh hash at the peer, so a copy
    // damaged since it arrived cannot pass for good.
    startLibrarian({ provider: 'postgresql', config: { ...FAST_CLONE, rollingDeletion: [{ name: POLICY, store: 'main', olderThan: 0, minCopies: 2, verifiedWithin: '1s', every: 0 }] } }),
    startLibrarian({ provider: 'sqlite', config: { ...FAST_CLONE, audit: { reverifyAfter: 0 } } }),
    startLibrarian({ provider: 'postgresql', config: FAST_CLONE }),
  ]);
  await connectPeers(a, b);
  await connectPeers(a, c);
});

afterAll(async () => {
  await stopAllLibrarians();
  await closeChecksums();
});

const stored = (lib: LibrarianHandle, name: string) => path.join(lib.dir, 'stores/main/store', name);

function flip(lib: LibrarianHandle, name: string, at = 100): void {
  const bytes = readFileSync(stored(lib, name));
  bytes[at] = bytes[at]! ^ 0x40;
  writeFileSync(stored(lib, name), bytes);
}

interface RepairRow {
  file_name: string;
  kind: string;
  repair: string | null;
  running: boolean;
}

/** Waits until `lib` has no damaged copy left (every repair done), failing with its status if not. */
async function repaired(lib: LibrarianHandle): Promise<void> {
  let last: RepairRow[] = [];
  try {
    await waitFor(`repairs at ${lib.name}`, async () => {
      last = (await lib.cli(['repair', 'status', '--json'])).json<RepairRow[]>();
      return last.length === 0;
    }, 180_000, 500);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nrepair status at ${lib.name}: ${JSON.stringify(last, null, 2)}\nworker log (end):\n${lib.logOf('worker').split('\n').slice(-30).join('\n')}`);
  }
}

interface Decision {
  file_name: string;
  action: string;
  reasons: string[];
  evidence: { librarian: string; matches: boolean; verified_at: string | null; problem?: string }[];
}
interface DeletionSummary {
  considered: number;
  deleted: number;
  would_delete: number;
  kept: number;
  decisions: Decision[];
}

test('files flow from A to B and to C', async () => {
  files = await fill(a, { files: 6, books: 1, prefix: 'night', deletionPolicy: 'allowed' });
  await cloneAll(a, b, files.length);
  await cloneAll(a, c, files.length);
  await expectCloned(a, b, files);
  await expectCloned(a, c, files);
});

test("B's audit finds a flipped byte and a deleted file, and both are repaired from A; data dropped in B's store is reported dark and left alone", async () => {
  const [flipped, deleted] = [files[0]!, files[1]!];
  flip(b, flipped.name);
  rmSync(stored(b, deleted.name));
  writeFileSync(stored(b, 'night/forgotten.dat'), 'a file nobody catalogued');

  const audit = await b.cli(['audit', 'run', '--store', 'main', '--json']);
  expect(audit.status).toBe(0);
  expect(audit.json()).toEqual([expect.objectContaining({ phase: 'done', checked: files.length, good: files.length - 2, corrupt: 1, lost: 1, dark: 1 })]);

  // The repairs started by themselves (the file's source, A, sends good copies through its clone path).
  await repaired(b);
  for (const f of [flipped, deleted]) expect(treeDigest(stored(b, f.name))).toEqual(treeDigest(f.local));
  const report = (await b.cli(['audit', 'report', '--all', '--json'])).json<{ kind: string; path: string; resolved_at: string | null; resolution: string | null; repair: string | null }[]>();
  const damage = report.filter((f) => f.kind !== 'DARK').sort((x, y) => x.kind.localeCompare(y.kind));
  expect(damage.map((f) => [f.kind, f.path, f.resolved_at !== null, f.resolution])).toEqual([
    ['CORRUPT', flipped.name, true, `replaced by a verified copy from ${a.name}`],
    ['LOST', deleted.name, true, `replaced by a verified copy from ${a.name}`],
  ]);
  for (const f of damage) expect(f.repair).toMatch(new RegExp(`^repaired from ${a.name} \\(incoming transfer \\d+\\)$`));
  const validated = await b.cli(['validate', flipped.name, '--force', '--json']);
  expect(validated.status).toBe(0);
  expect(validated.json()).toEqual([expect.objectContaining({ librarian: b.name, state: 'good', computed_same_checksum: true, cached: false })]);
  // A counts B's copies again (clone/complete of the new ones).
  const aDomain = await a.domain();
  const bAtA = await aDomain.db.librarian.findUniqueOrThrow({ where: { name: b.name } });
  expect(await aDomain.db.remoteInstance.count({ where: { librarianId: bAtA.id, fileName: { in: [flipped.name, deleted.name] } } })).toBe(2);

  // Dark data is reported, never deleted.
  const dark = (await b.cli(['audit', 'report', '--kind', 'dark', '--json'])).json<{ path: string; resolved_at: string | null }[]>();
  expect(dark.map((f) => f.path)).toEqual(['night/forgotten.dat']);
  expect(readFileSync(stored(b, 'night/forgotten.dat'), 'utf8')).toBe('a file nobody catalogued');
  // An operator adopts it.
  const imported = await b.cli(['import', 'night/forgotten.dat', '--store', 'main', '--json']);
  expect(imported.status).toBe(0);
  expect(imported.json()).toMatchObject({ entries: 1, catalogued: 1, failed: 0, results: [{ path: 'night/forgotten.dat', file_name: 'night/forgotten.dat', outcome: 'catalogued', size: 24 }] });
  expect((await b.cli(['audit', 'report', '--kind', 'dark', '--json'])).json()).toEqual([]);
});

test('validation across sites reaches every copy once, even where the sites point back at each other', async () => {
  const f = files[2]!;
  // B believes A holds a copy it sent there: asked by A, it must not ask A again.
  const bDomain = await b.domain();
  const aAtB = await bDomain.db.librarian.findUniqueOrThrow({ where: { name: a.name } });
  await bDomain.db.remoteInstance.create({ data: { fileName: f.name, librarianId: aAtB.id, storeId: 1, sender: b.name } });

  const r = await a.cli(['validate', f.name, '--peers', '--json']);
  expect(r.status).toBe(0);
  const items = r.json<{ librarian: string; state: string; computed_same_checksum: boolean }[]>();
  expect(items.map((i) => [i.librarian, i.state, i.computed_same_checksum]).sort()).toEqual(
    [
      [a.name, 'good', true],
      [b.name, 'good', true],
      [c.name, 'good', true],
    ].sort(),
  );
  const table = (await a.cli(['validate', f.name, '--peers'])).stdout;
  for (const site of [a.name, b.name, c.name]) expect(table).toMatch(new RegExp(`^\\s*${site}\\s+1\\s+1\\s+0\\s+0\\s+0\\s*$`, 'm'));
  const here = (await a.cli(['validate', f.name, '--peers', '--depth', '0', '--json'])).json<{ librarian: string }[]>();
  expect(here.map((i) => i.librarian)).toEqual([a.name]);
});

test("A's rolling deletion keeps everything while C is down", async () => {
  // C's copy of one file is damaged meanwhile; nobody at C knows yet.
  flip(c, files[3]!.name);
  await c.stopProcesses();
  try {
    const r = await a.cli(['deletion', 'run', POLICY, '--json']);
    expect(r.status).toBe(0);
    const s = r.json<DeletionSummary>();
    expect(s).toMatchObject({ considered: files.length, deleted: 0, kept: files.length });
    for (const d of s.decisions) {
      expect(d.action).toBe('kept');
      expect(d.reasons).toEqual([expect.stringMatching(new RegExp(`^1 other Librarian verified a matching copy within 1 second \\(${b.name}\\), 2 required; ${c.name}: .*(ECONNREFUSED|Cannot reach)`))]);
    }
    // One copy by hand: the same guard, with the operator's numbers.
    const f = files[5]!;
    const two = await a.cli(['instances', 'delete', f.name, '--min-copies', '2']);
    expect(two.status).not.toBe(0);
    expect(two.stderr).toContain(`"${f.name}" was not deleted: 1 other Librarian verified a matching copy within 2 days (${b.name}), 2 required; ${c.name}: `);
    const one = await a.cli(['instances', 'delete', f.name, '--dry-run', '--json']);
    expect(one.status).toBe(0);
    expect(one.json()).toMatchObject({ file_name: f.name, store_name: 'main', action: 'would-delete', evidence: [{ librarian: b.name, matches: true }, { librarian: c.name, matches: false }] });
    for (const f of files) expect(treeDigest(stored(a, f.name))).toEqual(treeDigest(f.local));
  } finally {
    await c.startAll();
  }
});

test("A's rolling deletion frees exactly the files B and C both verified, and keeps the one damaged at C until C has repaired it", async () => {
  const damagedAtC = files[3]!;
  const r = await a.cli(['deletion', 'run', POLICY, '--json']);
  expect(r.status).toBe(0);
  const s = r.json<DeletionSummary>();
  expect(s.decisions.filter((d) => d.action === 'kept').map((d) => [d.file_name, d.reasons])).toEqual([
    [damagedAtC.name, [expect.stringMatching(new RegExp(`^1 other Librarian verified a matching copy within 1 second \\(${b.name}\\), 2 required; ${c.name}: its copy is corrupt`))]],
  ]);
  expect(s).toMatchObject({ considered: files.length, deleted: files.length - 1, kept: 1 });
  for (const f of files) {
    if (f === damagedAtC) expect(treeDigest(stored(a, f.name))).toEqual(treeDigest(f.local));
    else expect(existsSync(stored(a, f.name))).toBe(false);
  }
  const aDomain = await a.domain();
  const rows = await aDomain.db.instance.findMany({ where: { fileName: { in: files.map((f) => f.name) } } });
  expect(rows.filter((i) => i.available).map((i) => i.fileName)).toEqual([damagedAtC.name]);
  // Each deletion is logged with its evidence: both sites, verified just now.
  const log = (await a.cli(['deletion', 'log', '--json'])).json<{ file_name: string; by: string; evidence: { copies: { librarian: string; matches: boolean; verifiedAt: string }[] } }[]>();
  expect(log).toHaveLength(files.length - 1);
  for (const d of log) {
    expect(d.by).toBe(`policy:${POLICY}`);
    expect(d.evidence.copies.map((e) => [e.librarian, e.matches]).sort()).toEqual(
      [
        [b.name, true],
        [c.name, true],
      ].sort(),
    );
    for (const e of d.evidence.copies) expect(Date.now() - new Date(e.verifiedAt).getTime()).toBeLessThan(5 * 60_000);
  }

  // A's question made C hash its copy: C found the damage and repaired it from A (which kept it).
  await repaired(c);
  expect(treeDigest(stored(c, damagedAtC.name))).toEqual(treeDigest(damagedAtC.local));
  const dry = (await a.cli(['deletion', 'run', POLICY, '--dry-run', '--json'])).json<DeletionSummary>();
  expect(dry).toMatchObject({ considered: 1, would_delete: 1, kept: 0 });
  expect(dry.decisions[0]!.file_name).toBe(damagedAtC.name);
  expect(existsSync(stored(a, damagedAtC.name))).toBe(true);
  const last = (await a.cli(['deletion', 'run', POLICY, '--json'])).json<DeletionSummary>();
  expect(last).toMatchObject({ considered: 1, deleted: 1 });
  expect(existsSync(stored(a, damagedAtC.name))).toBe(false);
});

test('a file with no good copy anywhere is reported unrecoverable', async () => {
  const f = files[4]!;
  flip(b, f.name);
  flip(c, f.name);
  const v = await b.cli(['validate', f.name, '--force', '--json']);
  expect(v.status).toBe(1);
  const want = `unrecoverable: no good copy anywhere (${a.name}: We do not have a copy of the file you are requesting ("${f.name}").)`;
  const settled = await waitFor('the repair at B to end', async () => {
    const rows = (await b.cli(['repair', 'status', '--json'])).json<RepairRow[]>();
    return rows.length === 1 && rows[0]!.repair?.startsWith('unrecoverable') && !rows[0]!.running && rows;
  });
  expect(settled.map((x) => [x.file_name, x.kind, x.repair])).toEqual([[f.name, 'CORRUPT', want]]);
  const again = await b.cli(['repair', 'run', f.name, '--json']);
  expect(again.status).toBe(1);
  expect(again.json()).toEqual([{ instance_id: expect.any(Number), outcome: 'unrecoverable', detail: want.replace(/^unrecoverable: /, '') }]);
});
