import type { z } from 'zod';
import { ROUTES, type Route } from '../../lambdas/routes';
import { buildOpenApiDocument, openApiPath, type JsonSchema } from '../../lambdas/system/service/openapi-document';
import type { EnvelopeKind } from '../../lambdas/contracts/surfaces';
import { assertErrorEnvelope } from './envelope';

/**
 * Requests generated from the route table and its OpenAPI document, for the generated suites
 * (test/integration/generated-*.test.ts): a valid baseline per operation, hostile variants of it,
 * and the checks every answer must pass. Nothing here names a route: a new row of lambdas/routes.ts is
 * covered as soon as it exists.
 */

// ---- seeded randomness ----

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

/** Seed and budget of the generated suites; see docs/api.md "Generated tests". */
export const FUZZ_SEED = Number(process.env.SATCHEL_FUZZ_SEED ?? 12);
/** `all`: every hostile value at every field; a number: that many hostile kinds per operation, each at a drawn field. */
export const FUZZ_CASES = process.env.SATCHEL_FUZZ_CASES ?? '16';

// ---- operations ----

export interface Operation {
  route: Route;
  /** `GET /api/workspaces/{id}` */
  name: string;
  surface: EnvelopeKind;
  pathParams: { name: string; greedy: boolean; schema: JsonSchema }[];
  query?: JsonSchema;
  body?: JsonSchema;
}

/** Every operation of the route table with its parameter and body schemas from the OpenAPI document. */
export function operations(routes: Route[] = ROUTES): Operation[] {
  const doc = buildOpenApiDocument(routes) as { paths: Record<string, Record<string, JsonSchema>> };
  return routes.map((route) => {
    const op = doc.paths[openApiPath(route.path)][route.method.toLowerCase()] as {
      parameters: { name: string; in: string; schema: JsonSchema }[];
      requestBody?: { content: Record<string, { schema: JsonSchema }> };
    };
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    return {
      route,
      name: `${route.method} ${route.path}`,
      surface: route.contract.surface,
      pathParams: [...route.path.matchAll(/\{(\w+)(\+)?\}/g)].map(([, name, greedy]) => ({
        name,
        greedy: Boolean(greedy),
        schema: op.parameters.find((p) => p.in === 'path' && p.name === name)?.schema ?? { type: 'string' },
      })),
      ...(queryParams.length
        ? { query: { type: 'object', properties: Object.fromEntries(queryParams.map((p) => [p.name, p.schema])) } }
        : {}),
      ...(op.requestBody ? { body: op.requestBody.content['application/json']?.schema } : {}),
    };
  });
}

// ---- values from a JSON Schema ----

const CANDIDATE_STRINGS = ['sample', 'a', 'a1', 'A1', '/a', 'a/b', '2026-01-01T00:00:00.000Z', 'x@y', 'a.b'];

function firstType(schema: JsonSchema): string | undefined {
  const type = schema.type;
  return Array.isArray(type) ? (type.find((t) => t !== 'null') as string | undefined) : (type as string | undefined);
}

/** A value the schema accepts, as far as a JSON Schema tells (patterns: a few candidates). */
export function sample(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return 'sample';
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) return sample(alternatives.find((a) => a.type !== 'null') ?? alternatives[0], depth + 1);
  switch (firstType(schema)) {
    case 'object': {
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(
        Object.entries(properties)
          .filter(([k]) => required.has(k))
          .map(([k, s]) => [k, sample(s, depth + 1)]),
      );
    }
    case 'array':
      return Array.from({ length: Number(schema.minItems ?? 0) || (depth === 0 ? 0 : 1) }, () =>
        sample(schema.items as JsonSchema, depth + 1),
      );
    case 'string': {
      const min = Number(schema.minLength ?? 0);
      if (typeof schema.pattern === 'string') {
        const pattern = new RegExp(schema.pattern as string, 'u');
        const found = CANDIDATE_STRINGS.find((c) => pattern.test(c) && c.length >= min);
        if (found) return found;
      }
      if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      return 'sample'.padEnd(min, 'x');
    }
    case 'integer':
    case 'number': {
      const min =
        typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
      return Math.max(min, 1);
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'sample';
  }
}

// ---- requests ----

/** JSON text sent as is inside a body (values JSON.stringify cannot make: 1e400, 10,000 levels). */
export class RawJson {
  constructor(readonly text: string) {}
}
/** A path or query value put into the URL as is, not percent-encoded again (malformed escapes). */
export class RawUrl {
  constructor(readonly text: string) {}
}

export interface RequestSpec {
  params: Record<string, string | RawUrl>;
  query: Record<string, string | RawUrl>;
  /** undefined: no body; a string in `rawBody`: sent as is. */
  body?: unknown;
  rawBody?: string;
  contentType?: string;
}

/** Fixture values by surface (or `*`) and field name, tried in order; the first the contract accepts is used. */
export type Hints = Partial<Record<EnvelopeKind | '*', Record<string, unknown[]>>>;

const hintsFor = (hints: Hints, surface: EnvelopeKind, field: string): unknown[] => [
  ...(hints[surface]?.[field] ?? []),
  ...(hints['*']?.[field] ?? []),
];

const accepts = (schema: z.ZodType | undefined, value: unknown): boolean => !schema || schema.safeParse(value).success;

/**
 * Fills an object from its schema, then puts in fixture values by field name wherever the route's
 * contract still accepts the whole: a field the contract refuses with a value keeps its sample.
 */
/** A fixture value a baseline carries, and where. */
export interface Used {
  in: 'path' | 'query' | 'body';
  field: string;
  value: unknown;
}

function fill(
  schema: JsonSchema | undefined,
  contract: z.ZodType | undefined,
  hints: Hints,
  surface: EnvelopeKind,
  where: 'query' | 'body',
  used: Used[],
): Record<string, unknown> {
  const asString = where === 'query';
  const value = (sample(schema) ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
  for (const field of Object.keys((schema?.properties ?? {}) as Record<string, unknown>)) {
    for (const candidate of hintsFor(hints, surface, field)) {
      if (asString && typeof candidate !== 'string') continue;
      const next = { ...out, [field]: candidate };
      if (accepts(contract, next)) {
        out[field] = candidate;
        used.push({ in: where, field, value: candidate });
        break;
      }
    }
  }
  if (asString) for (const [k, v] of Object.entries(out)) out[k] = String(v);
  return out;
}

/** A request the contract accepts (as far as samples and fixture values get), and the fixture values it uses. */
export function baseline(op: Operation, hints: Hints): { spec: RequestSpec; used: Used[] } {
  const used: Used[] = [];
  const c = op.route.contract;
  const params: Record<string, string> = {};
  for (const p of op.pathParams) {
    const candidates = hintsFor(hints, op.surface, p.name).filter((v): v is string => typeof v === 'string');
    const chosen = candidates.find((v) => accepts(c.params, { ...params, [p.name]: v }));
    if (chosen !== undefined) used.push({ in: 'path', field: p.name, value: chosen });
    params[p.name] = chosen ?? String(sample(p.schema));
  }
  const query = op.query ? (fill(op.query, c.query, hints, op.surface, 'query', used) as Record<string, string>) : {};
  const body = op.body ? fill(op.body, c.body, hints, op.surface, 'body', used) : undefined;
  return { spec: { params, query, ...(body !== undefined ? { body } : {}) }, used };
}

const encodePath = (value: string | RawUrl, greedy: boolean): string =>
  value instanceof RawUrl ? value.text : greedy ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);

export function urlOf(op: Operation, spec: RequestSpec): string {
  const path = op.route.path.replace(/\{(\w+)(\+)?\}/g, (_m, name: string, greedy?: string) =>
    encodePath(spec.params[name] ?? 'sample', Boolean(greedy)),
  );
  const query = Object.entries(spec.query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${v instanceof RawUrl ? v.text : encodeURIComponent(v)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

/** JSON text of a body that may hold RawJson pieces. */
export function bodyText(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_k, v: unknown) => (v instanceof RawJson ? `\u0000raw${raws.push(v.text) - 1}\u0000` : v));
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]);
}

/** A case that gets no answer in this time fails (status 0) instead of holding the suite. */
const ANSWER_TIMEOUT_MS = 20_000;

export interface Answer {
  status: number;
  text: string;
  json: unknown;
}

export async function send(base: string, op: Operation, spec: RequestSpec, headers: Record<string, string> = {}): Promise<Answer> {
  const h: Record<string, string> = { ...headers };
  let body: string | undefined;
  if (spec.rawBody !== undefined) body = spec.rawBody;
  else if (spec.body !== undefined) body = bodyText(spec.body);
  if (body !== undefined) h['content-type'] = spec.contentType ?? 'application/json';
  let res: Response;
  let text: string;
  try {
    res = await fetch(base + urlOf(op, spec), {
      method: op.route.method,
      headers: h,
      body,
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    text = await res.text();
  } catch (error) {
    return { status: 0, text: `no answer: ${(error as Error).message}`, json: undefined };
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

// ---- hostile variants ----

const nestedObject = (levels: number): RawJson => new RawJson(`${'{"n":'.repeat(levels)}1${'}'.repeat(levels)}`);
const nestedArray = (levels: number): RawJson => new RawJson('['.repeat(levels) + ']'.repeat(levels));

/** Values that must never make a server answer 5xx, wherever they are put. */
export const HOSTILE_VALUES: Record<string, unknown> = {
  'lone surrogate': 'a\ud800b',
  'lone low surrogate': '\udc00',
  'control characters': 'a\u0000b\u0007c\u001b[2J\u007f',
  'long string': 'x'.repeat(70_000),
  'percent-encoded text': '%2e%2e%2f%00%ZZ',
  'dot segments': '../../../etc/passwd',
  'bidi and zero-width': '\u202egnp.exe\u200b',
  'huge number': new RawJson('1e400'),
  'beyond 2^53': new RawJson('9007199254740993'),
  'tiny number': new RawJson('1e-320'),
  'negative number': -1,
  fraction: 0.5,
  'deep object (40)': nestedObject(40),
  'deep object (10,000)': nestedObject(10_000),
  'deep array (10,000)': nestedArray(10_000),
  'empty object': {},
  'empty array': [],
  null: null,
  boolean: true,
  'number for a string': 12345,
};

/** Path and query values as they travel in a URL. */
export const HOSTILE_URL_VALUES: Record<string, string | RawUrl> = {
  'long parameter': 'a'.repeat(5000),
  'malformed escape': new RawUrl('%ZZ'),
  'encoded lone surrogate': new RawUrl('%ED%A0%80'),
  'truncated UTF-8': new RawUrl('%F0%9F'),
  'encoded NUL': '\u0000',
  'encoded slash and dots': '../..%2F',
  'control characters': 'a\u0001\u001fb',
  'beyond 2^53': '9007199254740993',
  'huge number': '1e400',
  'not a number': 'NaN',
};

/** Whole-body variants. */
export const HOSTILE_BODIES: Record<string, Pick<RequestSpec, 'rawBody' | 'contentType'>> = {
  'not JSON': { rawBody: '{"unterminated": ' },
  'JSON null': { rawBody: 'null' },
  'JSON array': { rawBody: '[]' },
  'JSON string': { rawBody: '"text"' },
  'deep body (10,000)': { rawBody: nestedObject(10_000).text },
  'deep array body (100,000)': { rawBody: '['.repeat(100_000) + ']'.repeat(100_000) },
  'binary content type': { rawBody: '{"a":1}', contentType: 'application/octet-stream' },
  'invalid UTF-8': { rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1') },
  'over the body limit': { rawBody: `{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}` },
};

export interface Variant {
  label: string;
  spec: RequestSpec;
}

/** Fields of a value down to `depth`, as paths of keys (`[]` is the value itself). */
function fieldPaths(value: unknown, depth: number, at: (string | number)[] = []): (string | number)[][] {
  if (depth === 0 || value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...at, k], ...fieldPaths(v, depth - 1, [...at, k])]);
}

function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (!path.length) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), replacement);
  return copy;
}

/** Every hostile variant of a baseline: each value at each field, in the path, the query and the body. */
export function allVariants(op: Operation, base: RequestSpec): Variant[] {
  const out: Variant[] = [];
  for (const p of op.pathParams) {
    for (const [label, value] of Object.entries(HOSTILE_URL_VALUES))
      out.push({ label: `path.${p.name}: ${label}`, spec: { ...base, params: { ...base.params, [p.name]: value } } });
  }
  const queryFields = Object.keys((op.query?.properties ?? {}) as Record<string, unknown>);
  for (const field of queryFields) {
    for (const [label, value] of Object.entries(HOSTILE_URL_VALUES))
      out.push({ label: `query.${field}: ${label}`, spec: { ...base, query: { ...base.query, [field]: value } } });
  }
  if (op.body) {
    const declared = Object.keys((op.body.properties ?? {}) as Record<string, unknown>).map((k) => [k]);
    const present = fieldPaths(base.body, 3);
    const fields = [...new Map([...declared, ...present].map((p) => [p.join('.'), p])).values()];
    for (const field of fields) {
      for (const [label, value] of Object.entries(HOSTILE_VALUES))
        out.push({ label: `body.${field.join('.')}: ${label}`, spec: { ...base, body: setAt(base.body, field, value) } });
    }
    for (const [label, value] of Object.entries(HOSTILE_VALUES)) out.push({ label: `body: ${label}`, spec: { ...base, body: value } });
  }
  // a body where none is expected is ignored, not trusted; HTTP clients send none with GET
  if (op.route.method !== 'GET') {
    for (const [label, variant] of Object.entries(HOSTILE_BODIES))
      out.push({ label: `whole body: ${label}`, spec: { ...base, body: undefined, ...variant } });
  }
  return out;
}

/**
 * The variants a run sends: all of them (`SATCHEL_FUZZ_CASES=all`), or a budget of hostile kinds per
 * operation, each at a field drawn with the seeded generator (every kind a route can take is drawn
 * before any kind repeats).
 */
export function chooseVariants(variants: Variant[], rng: () => number, budget = FUZZ_CASES): Variant[] {
  if (budget === 'all') return variants;
  const byKind = new Map<string, Variant[]>();
  for (const v of variants) {
    const kind = `${v.label.split(':')[0].split('.')[0]}:${v.label.slice(v.label.indexOf(':') + 1)}`;
    byKind.set(kind, [...(byKind.get(kind) ?? []), v]);
  }
  const kinds = [...byKind.keys()];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  return kinds.slice(0, Number(budget)).map((kind) => pick(rng, byKind.get(kind)!));
}

// ---- what every answer must be ----

/** What a body must never show: stack frames, file paths, AWS and Node error names. */
const LEAKS: [string, RegExp][] = [
  ['stack frame', /\n\s+at |\bat [\w$.<>]+ \([^)]*:\d+:\d+\)|\(node:[\w/]+|[\w-]+\.(?:ts|js|cjs|mjs):\d+:\d+/],
  ['module folder', /node_modules|lambdas\/[\w-]+\/|dist\//],
  [
    'AWS error name',
    /\b(?:ValidationException|ConditionalCheckFailed|ResourceNotFoundException|TransactionCanceled|ProvisionedThroughputExceeded|ThrottlingException|SerializationException|NoSuchKey|NoSuchBucket|NoSuchUpload|AccessDenied|InvalidPart|EntityTooLarge|InternalError|UnrecognizedClientException|\$metadata)\b/,
  ],
  [
    'Node error',
    /\b(?:ENOENT|ENAMETOOLONG|EACCES|EISDIR|ENOTDIR|EEXIST|EPERM|ECONNREFUSED|ERR_[A-Z_]+|RangeError|TypeError|ReferenceError|Maximum call stack)\b/,
  ],
];

/** What an error answer must not show besides: the server's own files (a success may name a folder it
 * hands out, such as a sandbox's Desktop). */
const ERROR_LEAKS: [string, RegExp][] = [['file path', /\/(?:work|home|root|tmp|usr|var|proc|opt|efs|mnt)\/[\w.-]+\//]];

/** API Gateway's own refusals (no route, bad encoding, no key, too large) carry `{ message }`. */
const GATEWAY_STATUSES = new Set([400, 401, 403, 404, 413]);
const isGatewayAnswer = (status: number, json: unknown): boolean =>
  GATEWAY_STATUSES.has(status) &&
  !!json &&
  typeof json === 'object' &&
  Object.keys(json).length === 1 &&
  typeof (json as { message?: unknown }).message === 'string';

/** Why an answer breaks the rules (no 5xx; 4xx in the surface's envelope; nothing internal shown), or undefined. */
export function answerProblem(op: Operation, answer: Answer): string | undefined {
  if (answer.status === 0 || answer.status >= 500) return `${answer.status}: ${answer.text.slice(0, 300)}`;
  for (const [what, pattern] of answer.status >= 400 ? [...LEAKS, ...ERROR_LEAKS] : LEAKS) {
    const found = pattern.exec(answer.text);
    if (found) return `shows a ${what} (${JSON.stringify(found[0])}): ${answer.text.slice(0, 300)}`;
  }
  if (answer.status >= 400 && !isGatewayAnswer(answer.status, answer.json)) {
    try {
      assertErrorEnvelope(op.surface, answer.status, answer.json);
    } catch (error) {
      return (error as Error).message.slice(0, 400);
    }
  }
  return undefined;
}
