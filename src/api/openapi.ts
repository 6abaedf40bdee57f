import { z } from 'zod';
import type { Config } from '../config';
import type { Endpoint } from './endpoint';

const errorBody = {
  type: 'object',
  required: ['reason', 'suggested_remedy'],
  properties: { reason: { type: 'string' }, suggested_remedy: { type: 'string' } },
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or wrong credentials',
  403: 'Permission level too low, or not your resource',
  404: 'Not found',
  406: 'Checksum or size mismatch, or wrong state',
  409: 'Already exists',
  413: 'Too large (a JSON body over 64 MB, an upload over api.maxUploadSizeBytes), or no store has room',
  415: 'The body is not JSON in UTF-8, or its Content-Encoding is not gzip, deflate or br',
  425: 'Already in progress',
  429: 'Too many failed logins: wait Retry-After seconds',
  503: 'A dependency is unavailable, or too many logins are being checked; retry later',
};

function schemaOf(s: z.ZodType, io: 'input' | 'output'): unknown {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return io === 'input' ? nullableOptionals(rest) : rest;
}

type Json = Record<string, unknown>;

/**
 * The server reads a null member of a request as "not given" (v2 clients send unset fields so):
 * optional members accept null too, at every depth. A required member that is null is missing.
 */
function nullableOptionals(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullableOptionals);
  if (!schema || typeof schema !== 'object') return schema;
  const s = Object.fromEntries(Object.entries(schema as Json).map(([k, v]) => [k, k === 'properties' || k === 'default' ? v : nullableOptionals(v)])) as Json;
  if (s.properties && typeof s.properties === 'object') {
    const required = new Set((s.required as string[] | undefined) ?? []);
    s.properties = Object.fromEntries(
      Object.entries(s.properties as Record<string, Json>).map(([name, p]) => {
        const inner = nullableOptionals(p) as Json;
        if (required.has(name)) return [name, inner];
        const { default: dflt, description, ...rest } = inner;
        const options = Object.keys(rest).length === 1 && Array.isArray(rest.anyOf) ? (rest.anyOf as unknown[]) : [rest];
        return [name, { anyOf: [...options, { type: 'null' }], ...(description !== undefined ? { description } : {}), ...(dflt !== undefined ? { default: dflt } : {}) }];
      }),
    );
  }
  return s;
}

/** The responses of an operation without a body cannot be 413 or 415. */
function withoutBodyErrors(responses: Record<string, unknown>): Record<string, unknown> {
  const { 413: _large, 415: _type, ...rest } = responses;
  return rest;
}

/** OpenAPI 3.1 document generated from the endpoint definitions. */
export function buildOpenApi(endpoints: Endpoint[], config: Pick<Config, 'displayedSiteName' | 'api'>) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const ep of endpoints) {
    const responses: Record<string, unknown> = {
      [String(ep.status ?? 200)]: {
        description: 'Success',
        ...(ep.response ? { content: { 'application/json': { schema: schemaOf(ep.response, 'output') } } } : {}),
      },
    };
    // Any login can be held back by login throttling (429) or wait too long for a check (503); a
    // JSON body may be too large (413) or not JSON (415).
    const errors = [400, ...(ep.level === 'NONE' ? [401] : [401, 403]), 429, 503, ...(ep.body ? [413, 415] : []), ...(ep.errors ?? [])].map((c) => ep.statusAs?.[c] ?? c);
    for (const code of new Set(errors)) {
      responses[String(code)] = { description: STATUS_TEXT[code] ?? 'Error', content: { 'application/json': { schema: errorBody } } };
    }
    const key = `/api/v2${ep.path.replace(/:(\w+)/g, '{$1}')}`;
    const operation = {
      summary: ep.summary,
      // Path parameters are ids (upload/{transfer_id}/data).
      ...(ep.path.includes(':') ? { parameters: [...ep.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } })) } : {}),
      'x-librarian-permission': ep.level,
      security: ep.level === 'NONE' ? [{}, { basic: [] }] : [{ basic: [] }],
      ...(ep.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(ep.body, 'input') } } } } : {}),
      // The raw-data endpoint (HTTP upload): a file's bytes, or a directory's tar stream.
      ...(ep.method === 'put' && !ep.body ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } }, 'application/x-tar': { schema: { type: 'string', format: 'binary' } } } } } : {}),
      responses,
    };
    paths[key] = {
      ...(paths[key] ?? {}),
      [ep.method ?? 'post']: operation,
      // Endpoints open to anyone (ping) also answer GET, without a body (health checks, peers).
      ...(ep.level === 'NONE' && (ep.method ?? 'post') === 'post' ? { get: { ...operation, requestBody: undefined, responses: withoutBodyErrors(responses) } } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `Librarian API (${config.displayedSiteName})`,
      version: '2',
      description:
        'Every endpoint takes POST with a JSON body (ping also GET); another method on a known path is 405 with an Allow header. A null member of a request body means "not given", as v2 clients send unset fields. Text may not contain NUL (U+0000). File names have at most 512 bytes in UTF-8 and segments at most 255; HTTP Basic credentials at most 4096 bytes. Every error has the body {reason, suggested_remedy}.',
    },
    servers: [{ url: config.api.publicUrl }],
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    paths,
  };
}
