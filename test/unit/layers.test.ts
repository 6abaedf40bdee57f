/**
 * The dependency direction of src/, as the README's architecture section draws it, checked on
 * every import so a shortcut fails here rather than in review.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');

type Layer = 'shared' | 'protocol' | 'config' | 'logger' | 'domain' | 'flows' | 'workflows' | 'activities' | 'api' | 'cli' | 'client' | 'worker' | 'server' | 'generated';

/** What each layer may import (besides itself and packages). */
const ALLOWED: Record<Layer, Layer[]> = {
  shared: [],
  // The HTTP protocol (/api/v2): zod schemas of every request and answer, and the client that sends them.
  protocol: ['shared'],
  config: ['shared'],
  logger: ['config'],
  generated: [],
  domain: ['shared', 'protocol', 'config', 'logger', 'generated'],
  // Workflow code runs in Temporal's sandbox: values only from pure shared modules; types from anywhere.
  workflows: ['shared'],
  flows: ['shared', 'protocol', 'config', 'logger', 'domain', 'workflows'],
  activities: ['shared', 'domain', 'flows', 'workflows'],
  worker: ['shared', 'config', 'logger', 'domain', 'flows', 'activities'],
  api: ['shared', 'protocol', 'config', 'domain', 'flows'],
  server: ['config', 'domain', 'flows', 'api', 'worker'],
  client: ['shared', 'protocol'],
  cli: ['shared', 'protocol', 'config', 'client', 'flows', 'server'],
};

/** Packages a layer must not use (the domain knows nothing of Temporal, Express or oclif). */
const FORBIDDEN_PACKAGES: Partial<Record<Layer, RegExp>> = {
  shared: /^(@temporalio\/|express|@oclif\/|@prisma\/|argon2)/,
  domain: /^(@temporalio\/|express|@oclif\/)/,
  protocol: /^(@temporalio\/|express|@oclif\/|@prisma\/|argon2)/,
  client: /^(@temporalio\/|express|@prisma\/|argon2)/,
  workflows: /^(?!@temporalio\/(workflow|common)$)/,
};

/** Pure shared modules that workflow code may import as values. */
const WORKFLOW_SAFE = new Set(['shared/workflowIds.ts', 'shared/transferStatus.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) return e === 'generated' ? [] : files(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): Layer {
  const rel = path.relative(SRC, file).replace(/\.ts$/, '');
  const top = rel.split(path.sep)[0]!;
  if (top === 'cli' && rel.startsWith(`cli${path.sep}`)) return 'cli';
  return top as Layer;
}

function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* next */
    }
  }
  return base;
}

test('every import in src/ goes the way the layers allow', () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const from = layerOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)) {
      const typeOnly = !!m[2] || /^\s*import\s+type\s/.test(m[0]);
      const spec = m[3]!;
      const where = `${path.relative(SRC, file)} imports ${spec}`;
      if (!spec.startsWith('.')) {
        if (FORBIDDEN_PACKAGES[from]?.test(spec) && !(from === 'workflows' && typeOnly)) problems.push(`${where} (a package ${from} must not use)`);
        continue;
      }
      const target = resolve(file, spec);
      const to = layerOf(target);
      if (to === from) continue;
      if (from === 'workflows' && typeOnly) continue;
      if (from === 'workflows' && !WORKFLOW_SAFE.has(path.relative(SRC, target))) {
        problems.push(`${where} (workflows may import values only from ${[...WORKFLOW_SAFE].join(', ')})`);
        continue;
      }
      if (!ALLOWED[from]?.includes(to)) problems.push(`${where} (${from} → ${to})`);
    }
  }
  expect(problems).toEqual([]);
});

test('only src/domain/transfers writes transfer rows (their one owner)', () => {
  const writes = /\b(incomingTransfer|outgoingTransfer|cloneTransfer)\.(create|createMany|update|updateMany|upsert|delete|deleteMany)\(/g;
  const offenders: string[] = [];
  for (const file of files(SRC)) {
    if (file.startsWith(path.join(SRC, 'domain', 'transfers') + path.sep)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(writes)) offenders.push(`${path.relative(SRC, file)}: ${m[0]}`);
  }
  expect(offenders).toEqual([]);
});
