import * as z from 'zod';
import { version } from '../../../package.json';
import { ROUTES, functionName, type Route } from '../../routes';
import { config } from '../../kit/config';
import { AppError } from '../../kit/errors';
import { ENVELOPES } from '../../kit/surfaces';
import type { EnvelopeKind } from '../../contracts/surfaces';

/**
 * The OpenAPI 3.1 document of the route table: every row, with its contract's zod schemas as
 * JSON Schema (draft 2020-12, which OpenAPI 3.1 uses as is) and its surface's envelope.
 */
export type JsonSchema = Record<string, unknown>;

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Stands for the payload while an envelope is probed for its shape. */
const PAYLOAD = Symbol('payload');

/** The JSON Schema of a value an envelope produced, with the payload's schema where the payload went. */
function shapeOf(value: unknown, payload: JsonSchema): JsonSchema {
  if (value === PAYLOAD) return payload;
  if (typeof value === 'boolean') return { const: value };
  if (typeof value === 'string') return { type: 'string' };
  if (typeof value === 'number') return { type: 'number' };
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return {
      type: 'object',
      properties: Object.fromEntries(entries.map(([k, v]) => [k, shapeOf(v, payload)])),
      required: entries.map(([k]) => k),
    };
  }
  return {};
}

const successShape = (surface: EnvelopeKind, payload: JsonSchema) => shapeOf(ENVELOPES[surface].success(PAYLOAD), payload);
const errorShape = (surface: EnvelopeKind, status: number) =>
  shapeOf(ENVELOPES[surface].error(new AppError(status, 'ERROR_CODE', 'What is wrong'), 'request-id'), {});

/** API Gateway answers these itself, before any function runs. */
const GATEWAY_ERROR: JsonSchema = { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] };

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

/** `{path+}` (API Gateway's greedy parameter) is `{path}` in OpenAPI, which has no greedy form. */
export const openApiPath = (path: string): string => path.replace(/\{(\w+)\+\}/g, '{$1}');

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  const params = route.contract.params ? jsonSchema(route.contract.params, 'input') : undefined;
  for (const [, name, greedy] of route.path.matchAll(/\{(\w+)(\+)?\}/g)) {
    const schema = (params?.properties as Record<string, JsonSchema> | undefined)?.[name] ?? { type: 'string' };
    out.push({
      name,
      in: 'path',
      required: true,
      schema,
      ...(greedy ? { description: 'The rest of the path; may contain `/`.' } : {}),
    });
  }
  if (route.contract.query) {
    const query = jsonSchema(route.contract.query, 'input');
    const required = new Set((query.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, JsonSchema>)) {
      out.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  return out;
}

/**
 * Every route may meet the stage's rate and burst limits in AWS (API Gateway's own answer). A route
 * with a quota, or one that calls the embedding model or the search index, also answers 429 itself,
 * in its surface's envelope and with Retry-After.
 */
function throttled(route: Route): Record<string, unknown> {
  const own = [
    ...(route.contract.quotas ?? []).map((quota) => `over a quota (${quota})`),
    ...(route.access.embed || route.access.search ? ['the embedding model or the search index throttled'] : []),
  ];
  const gateway = 'API Gateway stage rate or burst limit (in AWS)';
  if (!own.length) return { description: gateway, content: json(GATEWAY_ERROR) };
  return {
    description: `${own.join('; ')}; or the ${gateway}`,
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before trying again (answers in the surface envelope)',
        schema: { type: 'integer', minimum: 1 },
      },
    },
    content: json({ oneOf: [GATEWAY_ERROR, errorShape(route.contract.surface, 429)] }),
  };
}

function responses(route: Route): Record<string, unknown> {
  const c = route.contract;
  const status = c.successStatus ?? 200;
  const out: Record<string, unknown> = {
    [status]:
      status === 204 || !c.response
        ? { description: 'Success' }
        : { description: 'Success', content: json(successShape(c.surface, jsonSchema(c.response, 'output'))) },
  };
  const error = (code: number, description: string) => ({ description, content: json(errorShape(c.surface, code)) });
  if (c.params || c.query || c.body) out[400] = error(400, 'Invalid request: the message names the failing field');
  if (route.auth) {
    out[401] = { description: 'No API key (answered by API Gateway)', content: json(GATEWAY_ERROR) };
    out[403] = {
      description: 'Unknown or revoked API key (API Gateway), or a key that may not use this surface',
      content: json({ oneOf: [GATEWAY_ERROR, errorShape(c.surface, 403)] }),
    };
  }
  if (c.params) out[404] = error(404, 'Not found (ids of other tenants are not found either)');
  if (c.partialFailure) {
    const payload = c.response ? jsonSchema(c.response, 'output') : {};
    out[207] = { description: c.partialFailure.description, content: json(shapeOf(c.partialFailure.body(PAYLOAD), payload)) };
  }
  if (c.body) out[413] = error(413, `Body over ${c.maxBodyBytes ?? config.maxBodyBytes} bytes`);
  out[429] = throttled(route);
  out[500] = error(500, 'Internal error; the body carries the request id of the logs');
  out.default = error(409, 'Other refusals (e.g. 409 conflict) in the same envelope');
  return out;
}

function operation(route: Route): JsonSchema {
  const c = route.contract;
  const name = functionName(route);
  return {
    operationId: name.charAt(0).toLowerCase() + name.slice(1),
    summary: c.summary,
    tags: [c.surface],
    parameters: parameters(route),
    ...(c.body ? { requestBody: { required: !c.body.safeParse(undefined).success, content: json(jsonSchema(c.body, 'input')) } } : {}),
    responses: responses(route),
    security: route.auth ? [{ apiKey: [] }] : [],
  };
}

const SURFACE_TITLES: Record<EnvelopeKind, string> = {
  sync: 'workspace sync (`/agent/sync/*`)',
  memory: 'memory sync (`/sync/*`)',
  registry: 'workspace registry (`/api/workspaces*`)',
  items: 'scoped items and vector search (`/api/workspace/*`)',
  files: 'deployment files and sandboxes (`/api/files*`, `/api/deployments/*`)',
  system: 'system: health and this description (no key)',
  mcp: 'MCP server (`POST /mcp`): JSON-RPC answers of the Model Context Protocol',
};

/** How a tenant-wide key names the agent it acts for, per surface. */
const AGENT_FIELDS: Partial<Record<EnvelopeKind, string>> = {
  sync: 'the `x-satchel-agent` header or the `agentId` query parameter',
  memory: '`agent_id`',
  registry: '`agent_name` where a route takes one',
  items: '`scopeId` of the `agent` scope',
};

const sample = (value: unknown) => (value === '…' ? 'the bare object' : `\`${JSON.stringify(value).replace(/"…"/g, '…')}\``);

/** The document's own account of envelopes, keys, errors and limits: a reader of a deployed API has nothing else. */
function describeApi(): string {
  const kinds = Object.keys(SURFACE_TITLES) as EnvelopeKind[];
  const rows = kinds.map(
    (kind) =>
      `| \`${kind}\` — ${SURFACE_TITLES[kind]} | ${sample(ENVELOPES[kind].success('…'))} | ${sample(ENVELOPES[kind].error(new AppError(400, 'INVALID_REQUEST', '…'), ''))} |`,
  );
  return [
    'Durable storage for AI agents: workspace sync, memory sync, workspace registry, scoped items with vector search, deployment files.',
    '',
    '## Envelopes',
    'Each surface answers in the wire format of the product document it implements:',
    '',
    '| surface | success | error |',
    '|---|---|---|',
    ...rows,
    '',
    '## Authentication',
    'Every route except `GET /health`, `GET /openapi.json` and `GET /docs` needs `Authorization: Bearer sk-…`. The gateway answers a ' +
      'missing key with 401 `{"message":"Unauthorized"}` and an unknown or revoked one with 403 `{"message":"Forbidden"}`. A key belongs ' +
      "to one tenant, lists the surfaces it may use (403 in the surface's envelope otherwise) and may be bound to one agent: it then acts " +
      "for that agent only, and other agents' data is not found. A key of the whole tenant names the agent it acts for: " +
      kinds
        .filter((k) => AGENT_FIELDS[k])
        .map((k) => `${k}: ${AGENT_FIELDS[k]}`)
        .join('; ') +
      '.',
    '',
    '## Errors',
    '400 for malformed or invalid input (the message names the field: `body.…`, `query.…`, `path.…`); 404 for unknown ids and for every ' +
      'id of another tenant (never 403); 409 for conflicts; 413 for a body over the limit; 429 over a quota or when a dependency ' +
      'throttles, with `Retry-After` (and API Gateway\'s own `{"message":"Too Many Requests"}` at the stage limits); 500 for our fault, ' +
      'with a `requestId` that is also in the logs. A sandbox file sync or pull in which any file failed answers 207 with ' +
      '`success: false`. Surfaces add the codes their product documents define.',
    '',
    '## Limits',
    `Request bodies up to ${config.maxBodyBytes} bytes. Bytes of files never pass through the API: uploads and downloads use presigned ` +
      `storage URLs, valid for at most ${config.presignTtlSeconds} seconds.`,
  ].join('\n');
}

export function buildOpenApiDocument(routes: Route[] = ROUTES): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    paths[openApiPath(route.path)] ??= {};
    paths[openApiPath(route.path)][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Satchel',
      version,
      description: describeApi(),
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.contract.surface))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key `sk-…` (`satchel keys create`)' },
      },
    },
  };
}
