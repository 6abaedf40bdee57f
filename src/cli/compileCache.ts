/**
 * A V8 code cache for the CommonJS modules a `librarian` process loads. A short command (an
 * upload, a status) loads about 270 modules (oclif, zod, ours) and would otherwise compile each
 * from source on every run.
 *
 * Node 22.1+ has this built in (`module.enableCompileCache`), which is used where present. On
 * Node 20 the CommonJS loader's compile step is replaced by one that hands V8 the code cached by an
 * earlier run. An entry is named by the SHA-1 of the module's path and source: a rebuilt module
 * never gets another version's code, and a copy of the same file elsewhere gets its own entry
 * (code from the cache keeps the path it was compiled under in stack traces, which `bindings`
 * reads to find a native addon). Modules that use `import()` compile as before: on Node 20 a
 * script created from cached data loses its dynamic-import callback.
 *
 * The cache lives in this installation's node_modules/.cache (or NODE_COMPILE_CACHE, as for Node's
 * own), so it goes with the installation; where that is not writable, commands run uncached.
 * Deleting it is always safe. NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node's.
 *
 * Entries of modules since rebuilt or upgraded are never read again. So that they do not pile up
 * for good, a run that adds entries to a cache already holding MAX_ENTRIES (some 18 times the
 * modules an upload loads; about 40 MB at 8-9 KB an entry) empties it first, and in the default
 * location removes the caches of other Node versions. Runs that add nothing (the usual case) only
 * read.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

type Compile = (this: NodeJS.Module, content: string, filename: string, format?: string) => unknown;
interface Loader {
  prototype: { _compile: Compile; require(id: string): unknown };
  wrap(source: string): string;
  _resolveFilename(request: string, parent: NodeJS.Module, isMain: boolean, options?: { paths?: string[] }): string;
  _resolveLookupPaths(request: string, parent: NodeJS.Module): string[] | null;
  _extensions: NodeJS.RequireExtensions;
  _cache: NodeJS.Dict<NodeJS.Module>;
  enableCompileCache?: (dir?: string) => unknown;
}

export const MAX_ENTRIES = 5000;
const DEFAULT_BASE = path.resolve(__dirname, '../../node_modules/.cache/librarian-compile');

/** Where the cache is kept: per installation, architecture and V8 version (V8 rejects other versions' code anyway). */
function compileCacheDir(): string {
  return path.join(process.env.NODE_COMPILE_CACHE || DEFAULT_BASE, `${process.arch}-${process.versions.v8}`);
}

/**
 * Empties a cache that has reached MAX_ENTRIES (the entries this run adds are written next) and,
 * in the default location, which holds nothing else, drops other Node versions' caches. Another
 * process writing meanwhile loses an entry, which a later run writes again.
 */
function pruneForWriting(dir: string): void {
  try {
    if (readdirSync(dir).length >= MAX_ENTRIES) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    const base = path.dirname(dir);
    if (base !== DEFAULT_BASE) return;
    for (const other of readdirSync(base)) if (other !== path.basename(dir)) rmSync(path.join(base, other), { recursive: true, force: true });
  } catch {
    // Pruning is housekeeping: a failure costs disk space, never a command's result.
  }
}

let enabled = false;

export function enableCompileCache(dir = compileCacheDir()): void {
  if (enabled || process.env.NODE_DISABLE_COMPILE_CACHE) return;
  enabled = true;
  const loader = Module as unknown as Loader;
  if (loader.enableCompileCache) {
    loader.enableCompileCache(dir);
    return;
  }
  const loaderDefault = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (!loaderDefault) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return;
  }
  const original = loader.prototype._compile;
  const compiled: { file: string; script: vm.Script }[] = [];
  const main = require.main;
  // Columns on a module's first line as Node reports them, not shifted by the wrapper's prefix.
  const prefix = loader.wrap('').indexOf('\n');

  loader.prototype._compile = function compileWithCache(this: NodeJS.Module, content: string, filename: string, format?: string) {
    // ES modules (by package type or by syntax: Node 20.19+ loads them for require) take Node's own path.
    if ((format !== undefined && format !== 'commonjs') || content.includes('import(')) return original.call(this, content, filename, format);
    const file = path.join(dir, createHash('sha1').update(filename).update('\0').update(content).digest('hex'));
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      // Not cached yet: compiled from source and written at exit.
    }
    // The wrapper puts the source after a prefix, where V8 no longer accepts a hashbang line.
    const source = content.startsWith('#!') ? `//${content.slice(2)}` : content;
    let script: vm.Script;
    try {
      script = new vm.Script(loader.wrap(source), { filename, columnOffset: -prefix, cachedData, importModuleDynamically: loaderDefault });
    } catch {
      // Not a CommonJS script: Node detects ES module syntax, or reports the error as it would.
      return original.call(this, content, filename, format);
    }
    if (!cachedData || script.cachedDataRejected) compiled.push({ file, script });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const mod = this;
    const requireFn = ((id: string) => mod.require(id)) as NodeJS.Require;
    const resolve = ((request: string, options?: { paths?: string[] }) => loader._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
    resolve.paths = (request: string) => loader._resolveLookupPaths(request, mod);
    requireFn.resolve = resolve;
    requireFn.main = main;
    requireFn.extensions = loader._extensions;
    requireFn.cache = loader._cache;
    return wrapper.call(mod.exports, mod.exports, requireFn, mod, filename, path.dirname(filename));
  };

  // At exit the scripts also hold the functions compiled lazily while the command ran.
  process.once('exit', () => {
    if (compiled.length) pruneForWriting(dir);
    for (const { file, script } of compiled) {
      const partial = `${file}.${process.pid}`;
      try {
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, file);
      } catch {
        rmSync(partial, { force: true });
        // A full or read-only disk costs the next run its speed, never its result.
      }
    }
  });
}
