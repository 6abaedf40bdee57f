/**
 * The protocol module is the one description of /api/v2: every route is one of its calls (so the
 * CLI, the peer client and the OpenAPI document read the same schemas the server parses with),
 * every call is served, and every endpoint of v2 (wire-v2.md §1.7) is among them.
 */
import * as protocol from '../../src/protocol';
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
  expect(endpoints.filter((e) => e.method === 'put').map((e) => [e.path, e.response === protocol.uploads.dataAnswer])).toEqual([['/upload/:transfer_id/data', true]]);
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
