/**
 * Every retry policy of every workflow is a named one from src/workflows/retries.ts, and bounded
 * (a number of attempts, or the call's scheduleToCloseTimeout), except the one policy that retries
 * without end on purpose (CATALOG_UNTIL_IT_ANSWERS), which says so and still fails bugs at once.
 * Read from the workflow sources with the TypeScript parser, so a new proxyActivities call with an
 * inline or unbounded policy (or none: Temporal's default retries forever) fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compileRetryPolicy, type RetryPolicy } from '@temporalio/common';
import ts from 'typescript';
import * as retries from '../../src/workflows/retries';

const WORKFLOWS = path.resolve(__dirname, '../../src/workflows');

/** The policies allowed to retry without end, each for a reason written where it is defined. */
const ENDLESS_BY_DESIGN: unknown[] = [retries.CATALOG_UNTIL_IT_ANSWERS];

interface Checked {
  /** Per proxyActivities call, in order: the policy's name in retries.ts (`name()` for a factory). */
  policies: string[];
  problems: string[];
}

/** Checks each proxyActivities/proxyLocalActivities call of one workflow source. */
function check(file: string, text: string): Checked {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  // Local name -> the name retries.ts exports it under.
  const fromRetries = new Map<string, string>();
  for (const s of src.statements) {
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || s.moduleSpecifier.text !== './retries') continue;
    const named = s.importClause?.namedBindings;
    if (named && ts.isNamedImports(named)) for (const e of named.elements) fromRetries.set(e.name.text, (e.propertyName ?? e.name).text);
  }
  const out: Checked = { policies: [], problems: [] };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : ts.isIdentifier(node.expression) ? node.expression.text : '';
      if (callee === 'proxyActivities' || callee === 'proxyLocalActivities') {
        const where = `${file}:${src.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const problem = checkOptions(node.arguments[0], fromRetries, out);
        if (problem) out.problems.push(`${where}: ${problem}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

function checkOptions(arg: ts.Expression | undefined, fromRetries: Map<string, string>, out: Checked): string | undefined {
  if (!arg || !ts.isObjectLiteralExpression(arg)) return 'the options are not an object literal (cannot be checked)';
  const props = new Map<string, ts.ObjectLiteralElementLike>();
  for (const p of arg.properties) if (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) props.set(p.name.text, p);
  const retry = props.get('retry');
  if (!retry) return "no retry policy (Temporal's default retries without end)";
  if (!ts.isPropertyAssignment(retry)) return 'the retry policy is not written as `retry: <policy from retries.ts>`';
  const boundedByCall = props.has('scheduleToCloseTimeout');
  const value = retry.initializer;
  if (ts.isIdentifier(value)) {
    const name = fromRetries.get(value.text);
    if (!name) return `retry: ${value.text} is not a policy imported from ./retries`;
    const policy = (retries as Record<string, unknown>)[name] as RetryPolicy | undefined;
    if (!policy || typeof policy !== 'object') return `retry: ${name} is not a retry policy of retries.ts`;
    out.policies.push(name);
    const attempts = policy.maximumAttempts;
    if (attempts !== undefined && Number.isFinite(attempts) && attempts > 0) return undefined;
    if (boundedByCall || ENDLESS_BY_DESIGN.includes(policy)) return undefined;
    return `retry: ${name} has no maximumAttempts and the call sets no scheduleToCloseTimeout: it retries without end`;
  }
  if (ts.isCallExpression(value) && ts.isIdentifier(value.expression)) {
    const name = fromRetries.get(value.expression.text);
    if (!name || typeof (retries as Record<string, unknown>)[name] !== 'function') return `retry: ${value.expression.text}() is not a policy factory of ./retries`;
    out.policies.push(`${name}()`);
    return boundedByCall ? undefined : `retry: ${name}() is bounded only by the call's scheduleToCloseTimeout, which is missing`;
  }
  return `retry: an inline policy (${value.getText().slice(0, 80)}); name it in retries.ts`;
}

function workflowSources(): [string, string][] {
  return readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => [f, readFileSync(path.join(WORKFLOWS, f), 'utf8')]);
}

test('every proxyActivities call of every workflow uses a named, bounded policy from retries.ts (or the one endless by design)', () => {
  const problems: string[] = [];
  const used: Record<string, string[]> = {};
  for (const [file, text] of workflowSources()) {
    const r = check(file, text);
    problems.push(...r.problems);
    if (r.policies.length) used[file] = r.policies;
  }
  expect(problems).toEqual([]);
  // The decision, per workflow (docs/development.md, Workflows): which steps wait out an outage of
  // the catalog, which give up and are run again, which are bounded by clone.giveUpAfter.
  expect(used).toEqual({
    'auditStore.ts': ['CATALOG_FOR_MINUTES', 'BACKGROUND_DISK_WORK'],
    'cloneBatch.ts': ['untilGiveUp()', 'untilGiveUp()', 'pollEvery()', 'CATALOG_UNTIL_IT_ANSWERS', 'BACKGROUND_DISK_WORK', 'BEST_EFFORT'],
    'importData.ts': ['DISK_WORK', 'BACKGROUND_DISK_WORK'],
    'localClone.ts': ['CATALOG_FOR_MINUTES', 'BACKGROUND_DISK_WORK'],
    'receiveClone.ts': ['untilGiveUp()', 'DISK_WORK', 'CATALOG_UNTIL_IT_ANSWERS', 'BEST_EFFORT', 'untilGiveUp()'],
    'repairInstance.ts': ['CATALOG_UNTIL_IT_ANSWERS', 'BACKGROUND_DISK_WORK', 'PEER_ASKED_AGAIN_LATER'],
    'rollingDeletion.ts': ['CATALOG_FOR_MINUTES', 'BACKGROUND_DISK_WORK', 'DISK_WORK'],
    'sendClones.ts': ['CATALOG_FOR_MINUTES'],
    'sneakernetIngest.ts': ['CATALOG_UNTIL_IT_ANSWERS', 'untilGiveUp()'],
    'sneakernetTrip.ts': ['CATALOG_UNTIL_IT_ANSWERS'],
    'storeHealthCheck.ts': ['CATALOG_FOR_MINUTES'],
    'upload.ts': ['STAGING', 'CATALOG_UNTIL_IT_ANSWERS', 'DISK_WORK'],
    'validateFile.ts': ['CATALOG_FOR_MINUTES', 'DISK_WORK'],
  });
});

test('a new inline, unnamed or unbounded policy is caught', () => {
  const header = "import { proxyActivities } from '@temporalio/workflow';\nimport { DISK_WORK, STAGING, untilGiveUp } from './retries';\n";
  const problems = (body: string) => check('new.ts', header + body).problems.map((p) => p.replace(/^new\.ts:\d+: /, ''));
  expect(problems("const a = proxyActivities({ startToCloseTimeout: '1m', retry: { initialInterval: '1s', maximumInterval: '1m' } });")).toEqual([
    "retry: an inline policy ({ initialInterval: '1s', maximumInterval: '1m' }); name it in retries.ts",
  ]);
  expect(problems("const a = proxyActivities({ startToCloseTimeout: '1m', retry: { maximumAttempts: 3 } });")).toEqual(['retry: an inline policy ({ maximumAttempts: 3 }); name it in retries.ts']);
  expect(problems("const a = proxyActivities({ startToCloseTimeout: '1m' });")).toEqual(["no retry policy (Temporal's default retries without end)"]);
  expect(problems("const opts = { startToCloseTimeout: '1m', retry: DISK_WORK };\nconst a = proxyActivities(opts);")).toEqual(['the options are not an object literal (cannot be checked)']);
  expect(problems("const r = DISK_WORK;\nconst a = proxyActivities({ startToCloseTimeout: '1m', retry: r });")).toEqual(['retry: r is not a policy imported from ./retries']);
  expect(problems("const a = proxyActivities({ startToCloseTimeout: '1m', retry: STAGING });")).toEqual([
    'retry: STAGING has no maximumAttempts and the call sets no scheduleToCloseTimeout: it retries without end',
  ]);
  expect(problems("const a = proxyActivities({ startToCloseTimeout: '1m', retry: untilGiveUp({ initialInterval: 1, maximumInterval: 2 }) });")).toEqual([
    "retry: untilGiveUp() is bounded only by the call's scheduleToCloseTimeout, which is missing",
  ]);
  expect(problems("const a = proxyActivities({ startToCloseTimeout: '1m', scheduleToCloseTimeout: '2m', retry: STAGING });\nconst b = proxyActivities({ startToCloseTimeout: '1m', retry: DISK_WORK });")).toEqual([]);
});

test('the endless policy is explicit, documented as such, and does not retry bugs; every policy is valid for Temporal', () => {
  expect(retries.CATALOG_UNTIL_IT_ANSWERS.maximumAttempts).toBe(Number.POSITIVE_INFINITY);
  expect(retries.CATALOG_UNTIL_IT_ANSWERS.nonRetryableErrorTypes).toEqual(expect.arrayContaining(['TypeError', 'ReferenceError', 'PrismaClientValidationError']));
  // A catalog that does not answer is retried: Prisma reports it as a known request error (P1001).
  expect(retries.BUGS).not.toContain('PrismaClientKnownRequestError');
  expect(readFileSync(path.join(WORKFLOWS, 'retries.ts'), 'utf8')).toMatch(/retried WITHOUT END[^]*docs\/operations\.md 7\.9[^]*export const CATALOG_UNTIL_IT_ANSWERS/);
  const named = Object.entries(retries).filter(([, v]) => typeof v === 'object' && !Array.isArray(v)) as [string, RetryPolicy][];
  const made: [string, RetryPolicy][] = [
    ['untilGiveUp()', retries.untilGiveUp({ initialInterval: 10_000, maximumInterval: 1_800_000 })],
    ['pollEvery()', retries.pollEvery(60_000)],
  ];
  expect(named.map(([n]) => n).sort()).toEqual(['BACKGROUND_DISK_WORK', 'BEST_EFFORT', 'CATALOG_FOR_MINUTES', 'CATALOG_UNTIL_IT_ANSWERS', 'DISK_WORK', 'PEER_ASKED_AGAIN_LATER', 'STAGING']);
  for (const [name, p] of [...named, ...made]) {
    let error: unknown;
    try {
      compileRetryPolicy(p);
    } catch (e) {
      error = e;
    }
    expect([name, error]).toEqual([name, undefined]);
  }
  // Infinity is how Temporal's SDK spells "no limit" (0 on the wire).
  expect(compileRetryPolicy(retries.CATALOG_UNTIL_IT_ANSWERS).maximumAttempts).toBeUndefined();
});
