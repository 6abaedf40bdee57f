/**
 * The CLI's V8 code cache (src/cli/compileCache.ts): a second run reuses the first run's code, a
 * changed module runs its new code, a damaged entry is compiled again, a module that uses
 * `import()` (oclif's platform check, on every command) keeps working, and ES modules and broken
 * modules behave as without the cache.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const CACHE_MODULE = path.join(ROOT, 'dist/cli/compileCache.js');
// Node 22+ has its own cache (module.enableCompileCache), which these tests do not inspect.
const ownCache = Number(process.versions.node.split('.')[0]) < 22 ? test : test.skip;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compile-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cacheDir = () => path.join(dir, 'cache', `${process.arch}-${process.versions.v8}`);
const entries = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()).sort() : []);
const entryOf = (file: string, source = readFileSync(file, 'utf8')) => createHash('sha1').update(file).update('\0').update(source).digest('hex');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, args, { env: { ...process.env, NODE_COMPILE_CACHE: path.join(dir, 'cache'), NODE_DISABLE_COMPILE_CACHE: '', ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

ownCache('a second `librarian --version` runs from the cache and prints the same; a damaged entry is compiled again', () => {
  const cli = path.join(ROOT, 'bin/run.js');
  const first = run([cli, '--version']);
  expect(first).toMatchObject({ status: 0, stderr: '' });
  expect(first.stdout).toMatch(/^librarian\/\d+\.\d+\.\d+ /);
  const written = entries();
  // oclif, its dependencies and ours: one entry per module compiled.
  expect(written.length).toBeGreaterThan(100);
  // oclif's platform check uses import(), which Node 20 cannot run from cached code: not cached, and it still ran.
  const platformCheck = path.join(ROOT, 'node_modules/@oclif/core/lib/util/os.js');
  expect(readFileSync(platformCheck, 'utf8')).toContain('import(');
  expect(written).not.toContain(entryOf(platformCheck));
  // An entry is named by its module's path and source.
  expect(written).toContain(entryOf(path.join(ROOT, 'node_modules/@oclif/core/lib/index.js')));

  const mtimes = written.map((f) => statSync(path.join(cacheDir(), f)).mtimeMs);
  expect(run([cli, '--version'])).toEqual(first);
  // Entries V8 accepted are not written again.
  expect(entries()).toEqual(written);
  expect(written.map((f) => statSync(path.join(cacheDir(), f)).mtimeMs)).toEqual(mtimes);

  for (const f of written) writeFileSync(path.join(cacheDir(), f), 'not V8 code');
  expect(run([cli, '--version'])).toEqual(first);
  expect(written.filter((f) => readFileSync(path.join(cacheDir(), f), 'utf8') === 'not V8 code')).toEqual([]);
});

ownCache('a module changed since it was cached runs its new code', () => {
  const main = path.join(dir, 'main.js');
  writeFileSync(main, `require(${JSON.stringify(CACHE_MODULE)}).enableCompileCache(); console.log(require('./answer.js')());\n`);
  // Same length, same file name: only the content tells them apart.
  writeFileSync(path.join(dir, 'answer.js'), 'module.exports = () => 41;\n');
  expect(run([main]).stdout).toBe('41\n');
  expect(run([main]).stdout).toBe('41\n');
  writeFileSync(path.join(dir, 'answer.js'), 'module.exports = () => 42;\n');
  expect(run([main]).stdout).toBe('42\n');
  const answer = path.join(dir, 'answer.js');
  expect(entries()).toEqual(expect.arrayContaining([entryOf(answer, 'module.exports = () => 41;\n'), entryOf(answer, 'module.exports = () => 42;\n')]));
});

ownCache('the same source at two paths: each keeps its own path in stack traces (bindings finds native addons by it)', () => {
  const main = path.join(dir, 'main.js');
  writeFileSync(main, `require(${JSON.stringify(CACHE_MODULE)}).enableCompileCache(); console.log(require('./a/where.js')()); console.log(require('./b/where.js')());\n`);
  for (const d of ['a', 'b']) {
    mkdirSync(path.join(dir, d));
    writeFileSync(path.join(dir, d, 'where.js'), "module.exports = () => new Error().stack.split('\\n')[1].trim();\n");
  }
  // What Node's own loader reports (line and column included).
  const expected = run([main], { NODE_DISABLE_COMPILE_CACHE: '1' }).stdout;
  expect(expected).toBe(`at module.exports (${path.join(dir, 'a/where.js')}:1:24)\nat module.exports (${path.join(dir, 'b/where.js')}:1:24)\n`);
  expect(run([main]).stdout).toBe(expected);
  expect(run([main]).stdout).toBe(expected);
});

ownCache('an ES module loaded by require and a module with a syntax error take Node\'s own path', () => {
  const main = path.join(dir, 'main.js');
  writeFileSync(main, `require(${JSON.stringify(CACHE_MODULE)}).enableCompileCache(); console.log(require('./esm.mjs').default); require('./broken.js');\n`);
  writeFileSync(path.join(dir, 'esm.mjs'), 'export default 7;\n');
  writeFileSync(path.join(dir, 'broken.js'), 'module.exports = (;\n');
  const plain = run([main], { NODE_DISABLE_COMPILE_CACHE: '1' });
  expect(plain.stdout).toBe('7\n');
  expect(plain.stderr).toContain("broken.js:1\nmodule.exports = (;\n                  ^\n\nSyntaxError: Unexpected token ';'");
  for (let i = 0; i < 2; i++) {
    const cached = run([main]);
    expect(cached).toMatchObject({ status: plain.status, stdout: '7\n' });
    expect(cached.stderr.split('\n').slice(0, 5)).toEqual(plain.stderr.split('\n').slice(0, 5));
  }
});

test('NODE_DISABLE_COMPILE_CACHE turns it off', () => {
  expect(run([path.join(ROOT, 'bin/run.js'), '--version'], { NODE_DISABLE_COMPILE_CACHE: '1' }).status).toBe(0);
  expect(existsSync(path.join(dir, 'cache'))).toBe(false);
});

ownCache('a full cache is emptied by the next run that adds to it, and only then; in its default location other Node versions\' caches go too', () => {
  const { MAX_ENTRIES } = require(CACHE_MODULE) as { MAX_ENTRIES: number };
  // An installation of its own, so that the default location (beside the module) is in this test's directory.
  const installed = path.join(dir, 'inst/dist/cli/compileCache.js');
  mkdirSync(path.dirname(installed), { recursive: true });
  writeFileSync(installed, readFileSync(CACHE_MODULE));
  const base = path.join(dir, 'inst/node_modules/.cache/librarian-compile');
  const own = path.join(base, `${process.arch}-${process.versions.v8}`);
  const main = path.join(dir, 'main.js');
  writeFileSync(main, `require(${JSON.stringify(installed)}).enableCompileCache(); console.log(require('./answer.js')());\n`);
  const answer = path.join(dir, 'answer.js');
  writeFileSync(answer, 'module.exports = () => 41;\n');
  const defaultLocation = { NODE_COMPILE_CACHE: '' };

  expect(run([main], defaultLocation).stdout).toBe('41\n');
  expect(readdirSync(own)).toEqual([entryOf(answer)]);
  // Left behind by an earlier Node, and by modules since rebuilt.
  mkdirSync(path.join(base, 'x64-0.0.0'));
  writeFileSync(path.join(base, 'x64-0.0.0/old'), 'code');
  for (let i = 0; i < MAX_ENTRIES; i++) writeFileSync(path.join(own, `stale${i}`), '');

  // Nothing to add: the run only reads.
  expect(run([main], defaultLocation).stdout).toBe('41\n');
  expect(readdirSync(own)).toHaveLength(MAX_ENTRIES + 1);
  expect(readdirSync(base).sort()).toEqual([path.basename(own), 'x64-0.0.0'].sort());

  writeFileSync(answer, 'module.exports = () => 42;\n');
  expect(run([main], defaultLocation).stdout).toBe('42\n');
  expect(readdirSync(own)).toEqual([entryOf(answer)]);
  expect(readdirSync(base)).toEqual([path.basename(own)]);
  expect(run([main], defaultLocation).stdout).toBe('42\n');

  // A directory given in NODE_COMPILE_CACHE may hold others' caches: only this one's own is emptied.
  const given = path.join(dir, 'cache');
  mkdirSync(path.join(given, 'v22.1.0-x64-node-own'), { recursive: true });
  expect(run([main]).stdout).toBe('42\n');
  for (let i = 0; i < MAX_ENTRIES; i++) writeFileSync(path.join(cacheDir(), `stale${i}`), '');
  writeFileSync(answer, 'module.exports = () => 43;\n');
  expect(run([main]).stdout).toBe('43\n');
  expect(entries()).toEqual([entryOf(answer)]);
  expect(readdirSync(given).sort()).toEqual([path.basename(cacheDir()), 'v22.1.0-x64-node-own'].sort());
});
