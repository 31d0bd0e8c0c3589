import type { z } from 'zod';
import type { Route } from '../lambdas/routes';
import { toAuthorizerContext } from '../lambdas/kit/auth-context';
import type { HttpEvent } from '../lambdas/kit/http';
import { SURFACES } from '../lambdas/contracts/surfaces';
import { jsonSchema, type JsonSchema } from '../lambdas/system/service/openapi-document';
import { buildEvent } from './server';

/** The file in events/ holding the route's sample event. */
export const eventFile = (r: Route): string => `events/${r.handler.replace('/', '.')}.json`;

/**
 * The sample events of events/: one API Gateway HTTP API (payload 2.0) event per route, built by
 * the local gateway's own `buildEvent`, with sample values derived from the route's contract.
 */

/** Tenant of every sample event (the authorizer context of protected routes). */
export const SAMPLE_TENANT = 'example';
const SAMPLE_KEY = `sk-${'EXAMPLEexample'.repeat(3)}`;
const SAMPLE_AT = { requestId: '00000000-0000-4000-8000-000000000000', now: new Date('2026-01-01T00:00:00.000Z') };
const HOST = 'abcdef1234.execute-api.us-east-1.amazonaws.com';

/** A string for a field, by format, then by what its name says it holds. */
function sampleString(schema: JsonSchema, name: string): string {
  const byFormat: Record<string, string> = {
    'date-time': '2026-01-01T00:00:00.000Z',
    date: '2026-01-01',
    uuid: '00000000-0000-4000-8000-000000000001',
    uri: 'https://example.com/resource',
    url: 'https://example.com/resource',
    email: 'agent@example.com',
  };
  let value = byFormat[schema.format as string];
  if (value === undefined) {
    if (/sha256|hash|checksum/i.test(name)) value = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    else if (/(^|_)(root_)?dir$|^root$|^cwd$/i.test(name)) value = '/home/agent/example';
    else if (/path$/i.test(name)) value = 'notes/example.md';
    else if (/content|text|query|prompt/i.test(name)) value = 'Hello from Satchel';
    else value = 'example';
  }
  const min = (schema.minLength as number | undefined) ?? 0;
  const max = (schema.maxLength as number | undefined) ?? Infinity;
  return value.padEnd(min, 'x').slice(0, max);
}

/**
 * A sensible value of a JSON Schema: examples, defaults and consts first; objects with their required
 * properties only (`all`: with every property, for schemas whose refinements need more).
 */
export function sampleValue(schema: JsonSchema, name = '', all = false): unknown {
  const examples = schema.examples as unknown[] | undefined;
  if (examples?.length) return examples[0];
  if ('default' in schema) return schema.default;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (variants) return sampleValue(variants.find((v) => v.type !== 'null') ?? variants[0], name, all);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const keys = all ? Object.keys(properties) : ((schema.required ?? []) as string[]);
      return Object.fromEntries(keys.map((key) => [key, sampleValue(properties[key] ?? {}, key, all)]));
    }
    case 'array':
      return schema.maxItems === 0
        ? []
        : Array.from({ length: Math.max(1, (schema.minItems as number) ?? 1) }, () =>
            sampleValue((schema.items ?? {}) as JsonSchema, name, all),
          );
    case 'integer':
    case 'number':
      return Math.max((schema.minimum as number | undefined) ?? 1, Math.min(1, (schema.maximum as number | undefined) ?? 1));
    case 'boolean':
      return true;
    case 'string':
      return sampleString(schema, name);
    default:
      return 'example';
  }
}

/** The minimal sample, or the one with every property when only that one satisfies the schema's refinements. */
function sampleOf(schema: z.ZodType): unknown {
  const json = jsonSchema(schema, 'input');
  const minimal = sampleValue(json);
  if (schema.safeParse(minimal).success) return minimal;
  const full = sampleValue(json, '', true);
  return schema.safeParse(full).success ? full : minimal;
}

/** Path parameters of the route's template: the contract's sample where it declares them, else a plain word. */
export function sampleParams(route: Route): Record<string, string> {
  const declared = (route.contract.params ? sampleOf(route.contract.params) : {}) as Record<string, unknown>;
  const params: Record<string, string> = {};
  for (const [, name, greedy] of route.path.matchAll(/\{(\w+)(\+)?\}/g)) {
    params[name] = String(declared[name] ?? (greedy ? 'notes/example.md' : 'example'));
  }
  return params;
}

export function sampleBody(route: Route): unknown {
  return route.contract.body ? sampleOf(route.contract.body) : undefined;
}

export function sampleQuery(route: Route): Record<string, string> {
  const query = (route.contract.query ? sampleOf(route.contract.query) : {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
}

export function sampleEvent(route: Route): HttpEvent {
  const params = sampleParams(route);
  // the raw path carries the parameters encoded the way a client sends them
  const rawPath = route.path.replace(/\{(\w+)(\+)?\}/g, (_m, name: string, greedy?: string) =>
    greedy ? params[name].split('/').map(encodeURIComponent).join('/') : encodeURIComponent(params[name]),
  );
  const query = new URLSearchParams(sampleQuery(route)).toString();
  const body = sampleBody(route);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: HOST,
    'user-agent': 'satchel-sdk/0.1.0',
    'x-forwarded-proto': 'https',
    ...(route.auth ? { authorization: `Bearer ${SAMPLE_KEY}` } : {}),
    ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
  };
  const event = buildEvent(
    { method: route.method, url: rawPath + (query ? `?${query}` : ''), headers, body: payload },
    route,
    params,
    SAMPLE_AT,
  );
  if (route.auth) {
    event.requestContext.authorizer = {
      lambda: toAuthorizerContext({ tenant: SAMPLE_TENANT, surfaces: [...SURFACES], keyId: 'key_0000000000example' }),
    };
  }
  return event;
}

/** The files of events/: path → content. */
export function renderEvents(routes: Route[]): Map<string, string> {
  return new Map(routes.map((route) => [eventFile(route), `${JSON.stringify(sampleEvent(route), null, 2)}\n`]));
}
