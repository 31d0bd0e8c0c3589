import * as z from 'zod';
import { contract } from './contract';
import { storableJson } from '../shared/storable';

export interface ItemSummary {
  path: string;
  contentType: string;
  size: number;
  createdAt: string;
  /** ISO time the item expires, null when permanent. */
  expiresAt: string | null;
  metadata: Record<string, unknown>;
}

/**
 * Seed 003. Scope, scopeId and paths are plain strings here and checked by the service, so their
 * errors carry the seed's codes (INVALID_SCOPE, SCOPE_ID_REQUIRED, PATH_REQUIRED) rather than INVALID_REQUEST.
 * Bodies of add, delete and move are optional for the same reason: no body = no itemPath.
 */
const scope = z.string().max(64).optional().describe('agent (default), session, company or temporary');
const scopeId = z
  .string()
  .max(256)
  .optional()
  .describe('Agent id (scope agent) or session id (scope session); ignored for company and temporary');
const path = z.string().max(4096).optional();
const itemPath = path.describe('Path of the item in its scope, e.g. /docs/guide.md');

const itemSummary = z.object({
  path: z.string(),
  contentType: z.string(),
  size: z.number(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
});

const done = z.object({ success: z.literal(true), message: z.string(), path: z.string().optional() });

export const listItems = contract({
  surface: 'items',
  summary:
    'List live items of a scope in path order: all of them (413 when they do not fit one answer), or pages with limit and cursor -> nextCursor',
  query: z.object({
    scope,
    scopeId,
    prefix: path.describe('Only paths starting with this'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('Page size (default 100 when paging with cursor); without limit and cursor: every item'),
    cursor: z.string().max(8192).optional().describe('nextCursor of the previous page'),
  }),
  response: z.object({ items: z.array(itemSummary), nextCursor: z.string().optional() }),
});

export const getItem = contract({
  surface: 'items',
  summary: 'Get an item with its content (text as is, binary base64 with encoding "base64"; over 1 MiB: downloadUrl)',
  query: z.object({ scope, scopeId, itemPath }),
  response: itemSummary.extend({
    encoding: z.enum(['utf8', 'base64']),
    content: z.string().nullable(),
    downloadUrl: z.string().optional(),
  }),
});

export const itemStatus = contract({
  surface: 'items',
  summary: 'State of an item: ready, pending (fileUrl being fetched in the background) or failed (with the reason)',
  query: z.object({ scope, scopeId, itemPath }),
  response: z.object({
    path: z.string(),
    status: z.enum(['ready', 'pending', 'failed']),
    contentType: z.string().optional(),
    size: z.number().optional(),
    indexedChunks: z.number().optional(),
    error: z.string().optional(),
  }),
});

export const addItem = contract({
  surface: 'items',
  summary:
    'Add an item from content (up to 1 MiB), fileUrl, or upload (a staged upload, see items/uploads); 201 created, 202 accepted (large items are fetched or indexed in the background, see status)',
  quotas: ['fileUrl items waiting to be fetched in the background, per tenant'],
  body: z
    .object({
      scope,
      scopeId,
      itemPath,
      content: z.string().optional(),
      encoding: z.enum(['utf8', 'base64']).optional().describe('Of content; default utf8'),
      fileUrl: z.string().max(8192).optional(),
      upload: z
        .object({ id: z.string().max(64).describe('uploadId from POST /api/workspace/items/uploads') })
        .optional()
        .describe('Extension of seed 003: the bytes of a staged upload instead of content or fileUrl'),
      metadata: storableJson(z.record(z.string(), z.unknown()), 0)
        .optional()
        .describe('Stored as given; contentType sets the type, overwrite: true replaces an existing item'),
    })
    .optional(),
  response: done.extend({ path: z.string(), status: z.enum(['ready', 'pending']) }),
  successStatus: 201,
  maxBodyBytes: 4 * 1024 * 1024,
});

export const createUpload = contract({
  surface: 'items',
  summary:
    'Extension of seed 003: a presigned PUT for a large local file (up to the item size cap); add it with POST /api/workspace/items and upload: { id } before it expires',
  body: z.object({
    size: z.number().int().min(0).describe('Exact size of the file, bytes (the PUT must send exactly this many)'),
    contentType: z.string().max(256).optional().describe('Media type of the item (default: from the path extension or the bytes)'),
  }),
  response: z.object({
    uploadId: z.string(),
    url: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()).describe('Send exactly these headers with the PUT (they are signed)'),
    expiresAt: z.string().describe('The url expires then; the upload can be added up to an hour later'),
    maxBytes: z.number().describe('The item size cap'),
  }),
  successStatus: 201,
});

export const deleteItem = contract({
  surface: 'items',
  summary: 'Delete an item (JSON body)',
  body: z.object({ scope, scopeId, itemPath }).optional(),
  response: done,
});

export const moveItem = contract({
  surface: 'items',
  summary: 'Move or rename an item, within or across scopes (atomic; lifetime restarts under the destination scope)',
  body: z
    .object({
      fromScope: scope,
      fromScopeId: scopeId,
      fromPath: path.describe('Path of the item to move'),
      toPath: path.describe('Default: fromPath'),
      toScope: scope.describe('Default: fromScope'),
      toScopeId: scopeId.describe('Default: fromScopeId when the scope stays'),
    })
    .optional(),
  response: done,
});

export const search = contract({
  surface: 'items',
  summary: 'Semantic search in one scope: best chunk per item, score = (1 + cosine) / 2',
  body: z.object({
    query: z.string().min(1).max(8000),
    scope,
    scopeId,
    limit: z.number().int().min(1).max(50).optional().describe('Default 10, max 50'),
    minScore: z.number().min(0).max(1).optional().describe('Default 0.7'),
  }),
  response: z.object({
    results: z.array(z.object({ path: z.string(), content: z.string(), score: z.number(), metadata: z.record(z.string(), z.unknown()) })),
    query: z.string(),
    totalResults: z.number(),
  }),
});
