/**
 * The protocol module is the one description of /api/v2: every route is one of its calls (so the
 * CLI, the peer client and the OpenAPI document read the same schemas the server parses with),
 * every call is served, and every endpoint of v2 (wire-v2.md §1.7) is among them.
 */
import { z } from 'zod';
import * as protocol from '../../src/protocol';
import { checkin, uploads, users } from '../../src/protocol';
import * as fields from '../../src/protocol/fields';
import { ALGORITHMS, parseChecksum } from '../../src/shared/checksums';
import type { Call } from '../../src/protocol/call';
import { allEndpoints } from '../../src/api/routes';
import { buildOpenApi } from '../../src/api/openapi';

const V2_ENDPOINTS = [
  'ping/', 'ping/logged', 'ping/admin', 'upload/stage', 'upload/commit', 'clone/stage', 'clone/batch_stage', 'clone/ongoing', 'clone/staged', 'clone/complete',
  'clone/fail', 'search/file', 'search/error', 'search/instance_local', 'search/instance_remote', 'error/clear', 'users/create', 'users/update', 'users/delete',
  'users/get', 'users/password_update', 'admin/add_file', 'admin/stores/list', 'admin/stores/state_change', 'admin/stores/manifest', 'admin/librarians/list',
  'admin/librarians/add', 'admin/librarians/remove', 'admin/instance/delete_remote', 'admin/instance/delete_local', 'admin/librarians/transfer_status/change',
  'checkin/update', 'checkin/status', 'validate/file', 'corrupt/prepare', 'corrupt/resend',
];

const isCall = (v: unknown): v is Call => !!v && typeof v === 'object' && typeof (v as Call).path === 'string' && 'request' in v && 'response' in v;
const calls: Call[] = Object.values(protocol).flatMap((group) => Object.values(group).filter(isCall));
const endpoints = allEndpoints();

test('every route answers one call of the protocol module with its schemas, and every call is served', () => {
  const byPath = new Map(calls.map((c) => [`/${c.path}`, c]));
  expect(byPath.size).toBe(calls.length);
  const json = endpoints.filter((e) => (e.method ?? 'post') === 'post');
  for (const e of json) {
    const c = byPath.get(e.path);
    expect([e.path, c !== undefined]).toEqual([e.path, true]);
    expect([e.path, e.body === c!.request, e.response === c!.response]).toEqual([e.path, true, true]);
  }
  expect(json.map((e) => e.path).sort()).toEqual([...byPath.keys()].sort());
  // The one raw-data endpoint (HTTP upload) documents its answer from the module too.
  expect(endpoints.filter((e) => e.method === 'put').map((e) => [e.path, e.response === protocol.uploads.data.response])).toEqual([[`/${protocol.uploads.data.path}`, true]]);
  expect(protocol.uploads.data.at({ transfer_id: 42 })).toBe('upload/42/data');
});

test('every v2 endpoint is served', () => {
  const served = new Set(calls.map((c) => c.path));
  expect(V2_ENDPOINTS.filter((p) => !served.has(p))).toEqual([]);
});

test('the OpenAPI document shows the request and answer of every call', () => {
  const doc = buildOpenApi(endpoints, { displayedSiteName: 'test', api: { publicUrl: 'http://127.0.0.1' } } as never);
  for (const c of calls) {
    const op = (doc.paths[`/api/v2/${c.path}`] as Record<string, { requestBody?: unknown; responses: Record<string, { content?: unknown }> }>).post!;
    const ok = Object.entries(op.responses).find(([code]) => code.startsWith('2'))![1];
    expect([c.path, op.requestBody !== undefined, ok.content !== undefined]).toEqual([c.path, true, true]);
  }
});

/** A seeded generator (mulberry32), so a failure is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a JSON Schema string (type, lengths in code points, pattern) allows. */
function jsonAllows(schema: Record<string, unknown>, v: string): boolean {
  const n = [...v].length;
  if (typeof schema.minLength === 'number' && n < schema.minLength) return false;
  if (typeof schema.maxLength === 'number' && n > schema.maxLength) return false;
  return typeof schema.pattern !== 'string' || new RegExp(schema.pattern, 'u').test(v);
}

describe('the document is as exact as the server', () => {
  const { checksum, fileName, uploadName } = fields;

  /** Strings around every limit: checksums of each algorithm and length, names around 255 and 512 bytes. */
  function samples(): string[] {
    const next = random(14);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const hex = (n: number) => Array.from({ length: n }, () => pick([...'0123456789abcdefABCDEF'])).join('');
    const out = ['', '/', '.', '..', 'a', 'a/b', 'a\\b', '\\a', 'a/', '/a', 'a//b', 'a/./b', 'a\0b', 'C:x', '.librarian-x', 'x\n'];
    for (const algo of [...ALGORITHMS, 'MD5', 'SHA256', 'crc', '']) {
      for (const len of [0, 31, 32, 33, 40, 64, 127, 128, 129]) {
        out.push(`${algo}:::${hex(len)}`, hex(len), `${algo}:::${hex(len)}\n`, `${algo}::${hex(len)}`, `${algo}:::${hex(len - 1)}g`);
      }
    }
    const chars = ['a', 'Z', '0', '.', '-', ' ', ':', 'é', '€', '😀', '/', '\\', '\0'];
    for (let i = 0; i < 4000; i++) {
      // Segments of 1 to 260 characters (one, two, three or four bytes each), 1 to 4 of them.
      const segments = Array.from({ length: 1 + Math.floor(next() * 4) }, () => {
        const c = pick(chars.slice(0, 10));
        return Array.from({ length: 1 + Math.floor(next() * 260) }, () => (next() < 0.9 ? c : pick(chars))).join('');
      });
      out.push(segments.join(pick(['/', '/', '/', '\\', '//'])));
    }
    return out;
  }

  test.each([
    ['checksum', checksum],
    ['fileName', fileName],
    ['uploadName', uploadName],
  ] as const)('%s: everything the server takes, the document allows', (_name, field) => {
    const json = z.toJSONSchema(field, { io: 'input' }) as Record<string, unknown>;
    let taken = 0;
    const disagree: string[] = [];
    for (const s of samples()) {
      if (!field.safeParse(s).success) continue;
      taken++;
      if (!jsonAllows(json, s)) disagree.push(JSON.stringify(s));
    }
    expect(disagree).toEqual([]);
    // Both sides were exercised: many samples pass, many do not.
    expect(taken).toBeGreaterThan(10);
  });

  test('checksums: the pattern is exactly what parseChecksum accepts', () => {
    const json = z.toJSONSchema(checksum, { io: 'input' }) as Record<string, unknown>;
    for (const s of samples()) {
      let parsed = true;
      try {
        parseChecksum(s);
      } catch {
        parsed = false;
      }
      expect([s, jsonAllows(json, s)]).toEqual([s, parsed]);
    }
  });

  test("v2's enumerations are taken as integers or names in any case, and nothing else", () => {
    const levels = users.create.request.shape.permission;
    expect([0, 1, 2, 3, 4, 100, 'readappend', 'ReadWrite', 'ADMIN'].map((v) => levels.safeParse(v).data)).toEqual(['NONE', 'READONLY', 'CALLBACK', 'READAPPEND', 'READWRITE', 'ADMIN', 'READAPPEND', 'READWRITE', 'ADMIN']);
    expect([5, 99, 3.5, '3', 'SUPERUSER', '', null].map((v) => levels.safeParse(v).success)).toEqual(Array(7).fill(false));
    const status = checkin.update.request.shape.new_status;
    expect([0, 1, 2, 3, 4, 5, 'failed', 'Staged'].map((v) => status.safeParse(v).data)).toEqual(['INITIATED', 'ONGOING', 'STAGED', 'COMPLETED', 'FAILED', 'CANCELLED', 'FAILED', 'STAGED']);
    expect([6, -1, '4', 'DONE'].map((v) => status.safeParse(v).success)).toEqual(Array(4).fill(false));
    const policy = uploads.commit.request.shape.deletion_policy;
    expect([0, 1, '0', '1', 'allowed', 'DISALLOWED', undefined].map((v) => policy.safeParse(v).data)).toEqual(['DISALLOWED', 'ALLOWED', 'DISALLOWED', 'ALLOWED', 'ALLOWED', 'DISALLOWED', 'DISALLOWED']);
    expect([2, 'maybe', ' 1', true].map((v) => policy.safeParse(v).success)).toEqual(Array(4).fill(false));
  });

  test('no checksum, permission, status, policy, size or id in a request is a bare string or number', () => {
    const doc = buildOpenApi(endpoints, { displayedSiteName: 'test', api: { publicUrl: 'http://127.0.0.1' } } as never);
    const loose: string[] = [];
    // Items of a peer's batch are checked one by one (a bad one is refused in the answer, not the batch).
    const perItem = /clone\/batch_stage .*uploads\.items\.(upload_checksum|upload_size)$|clone\/batch_stage .*total_size$/;
    const visit = (where: string, key: string, s: Record<string, unknown> | undefined): void => {
      if (!s || typeof s !== 'object') return;
      const options = (s.anyOf as Record<string, unknown>[] | undefined)?.filter((o) => o.type !== 'null') ?? [s];
      // Ids are the catalog's 32-bit integers (PostgreSQL refuses larger ones in a query).
      if (/(^|_)ids?$/.test(key) && options.some((o) => o.type === 'integer' && o.maximum !== 2_147_483_647)) loose.push(`${where}: ${JSON.stringify(s)}`);
      if (/checksum$|^permission$|status$|deletion_policy$|size$/.test(key) && !perItem.test(where)) {
        const exact = options.every((o) => o.enum !== undefined || o.const !== undefined || typeof o.pattern === 'string' || (o.type === 'integer' && o.minimum === 0));
        if (!exact) loose.push(`${where}: ${JSON.stringify(s)}`);
      }
      for (const [k, v] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) visit(`${where}.${k}`, k, v);
      for (const o of options) if (o !== s) visit(where, key, o);
      if (s.items) visit(`${where}.items`, key, s.items as Record<string, unknown>);
    };
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops as Record<string, { requestBody?: { content: { 'application/json'?: { schema: Record<string, unknown> } } } }>)) {
        visit(`${m} ${p} `, '', op.requestBody?.content['application/json']?.schema);
      }
    }
    expect(loose).toEqual([]);
  });
});
