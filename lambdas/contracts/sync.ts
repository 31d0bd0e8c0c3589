import * as z from 'zod';
import { contract } from './contract';
import { isUploadId } from '../shared/sync-upload-ids';
import { MAX_FILE_BYTES, MAX_PARTS, MAX_PART_BYTES, MIN_PART_BYTES } from '../shared/sync-limits';
import { pathProblem } from '../shared/sync-paths';

export interface Confirmation {
  filePath: string;
  hash: string;
  size: number;
  /** The upload that holds the bytes: a multipart upload, or a put presigned with its hash and size. */
  uploadId?: string;
}

export type ConfirmResult =
  | { filePath: string; status: 'confirmed' | 'unchanged'; hash: string; size: number; modified: string }
  | { filePath: string; status: 'conflict'; error: { code: 'CONFLICT'; message: string } }
  | { filePath: string; status: 'invalid'; error: { code: 'INVALID_REQUEST'; message: string } };

export const MAX_PRESIGN_FILES = 1000;
export const MAX_CONFIRM_FILES = 1000;
const BATCH_BODY_BYTES = 4 * 1024 * 1024;

const workspacePath = z.string().superRefine((path, ctx) => {
  const problem = pathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(path)} ${problem}` });
});
/**
 * A path inside a batch: only its type is checked here; the service checks each one by the path
 * rules and answers a bad one in its own entry, so the rest of the batch goes through.
 */
const batchPath = z.string().max(8192);
const uploadId = z.string().max(1024).refine(isUploadId, 'is not an upload id this API handed out');
/** Lowercase hex SHA-256 of the file's bytes; uppercase is accepted (the service lowers it). */
const sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the contents as 64 hexadecimal digits');
const fileSize = z.number().int().min(0).max(MAX_FILE_BYTES);
const contentType = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'must be printable ASCII');
/** Tenant-wide keys may name the agent here instead of the X-Satchel-Agent header. */
const agentQuery = { agentId: z.string().optional() };
const cursor = z.string().max(4096).optional();
const limit = (max: number) => z.coerce.number().int().min(1).max(max).optional();

const agentSchema = z.object({
  agentId: z.string(),
  displayName: z.string(),
  status: z.enum(['registered', 'synced']),
  fileCount: z.number(),
  totalSize: z.number(),
  lastSync: z.string().nullable(),
});
const fileSchema = z.object({ path: z.string(), hash: z.string(), size: z.number(), modified: z.string() });

export const register = contract({
  surface: 'sync',
  summary: 'Register the agent for workspace sync (safe to call repeatedly)',
  query: z.strictObject(agentQuery),
  body: z.strictObject({ displayName: z.string().min(1).max(256).optional() }).optional(),
  response: z.object({ agent: agentSchema }),
});

export const getManifest = contract({
  surface: 'sync',
  summary: 'Every backed-up file with hash, size and modified time (413 when it does not fit one answer; pages with `limit`/`cursor`)',
  query: z.strictObject({ ...agentQuery, cursor, limit: limit(100000) }),
  response: z.object({
    version: z.number(),
    agentId: z.string(),
    lastSync: z.string().nullable(),
    files: z.record(z.string(), z.object({ hash: z.string(), size: z.number(), modified: z.string() })),
    nextCursor: z.string().optional(),
  }),
});

export const presign = contract({
  surface: 'sync',
  summary: 'Presigned put, get or multipart URLs for up to 1,000 files',
  quotas: ['multipart uploads opened by one call'],
  query: z.strictObject(agentQuery),
  body: z.strictObject({
    files: z
      .array(
        z.strictObject({
          path: batchPath,
          operation: z.enum(['put', 'get', 'multipart']),
          contentType: contentType.optional(),
          hash: sha256Hex.optional(),
          size: fileSize.optional(),
          /** multipart: the client's part size and the SHA-256 of each part (S3 then checks every part). */
          partSize: z.number().int().min(MIN_PART_BYTES).max(MAX_PART_BYTES).optional(),
          partHashes: z.array(sha256Hex).min(1).max(MAX_PARTS).optional(),
        }),
      )
      .min(1)
      .max(MAX_PRESIGN_FILES),
  }),
  response: z.object({ urls: z.array(z.record(z.string(), z.unknown())) }),
  maxBodyBytes: BATCH_BODY_BYTES,
});

const confirmation = z.strictObject({
  filePath: batchPath,
  hash: sha256Hex,
  size: fileSize,
  /** The id of the multipart upload that holds the bytes (multipart uploads only). */
  uploadId: uploadId.optional(),
});

export const confirm = contract({
  surface: 'sync',
  summary: 'Record uploads in the manifest after checking the stored objects (one file, or `files` for a batch)',
  query: z.strictObject(agentQuery),
  body: z
    .strictObject({
      ...confirmation.partial().shape,
      files: z.array(confirmation).min(1).max(MAX_CONFIRM_FILES).optional(),
    })
    .superRefine((body, ctx) => {
      const single = [body.filePath, body.hash, body.size].filter((v) => v !== undefined).length;
      if (body.files ? single > 0 || body.uploadId !== undefined : single < 3) {
        ctx.addIssue({
          code: 'custom',
          message: 'send either {filePath, hash, size[, uploadId]} or {files: [{filePath, hash, size[, uploadId]}, …]}',
        });
      }
    })
    .meta({ examples: [{ filePath: 'notes/todo.md', hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0 }] }),
  response: z.record(z.string(), z.unknown()),
  maxBodyBytes: BATCH_BODY_BYTES,
});

export const completeMultipart = contract({
  surface: 'sync',
  summary: 'Assemble a multipart upload from its parts (then confirm it like any upload)',
  query: z.strictObject(agentQuery),
  body: z
    .strictObject({
      path: workspacePath,
      uploadId,
      parts: z
        .array(
          z.strictObject({
            partNumber: z.number().int().min(1).max(10000),
            etag: z
              .string()
              .regex(/^"?[0-9a-fA-F]{32}"?$/, 'must be the ETag S3 answered for the part (32 hexadecimal digits, quotes optional)'),
            /** The part's SHA-256, when it was declared at presign (S3 then needs it to complete). */
            hash: sha256Hex.optional(),
          }),
        )
        .min(1)
        .max(10000),
    })
    .meta({
      examples: [
        {
          path: 'media/video.bin',
          uploadId: `${'0a1b2c3d'.repeat(5)}VXBsb2FkIElEIGZvciBteS1tb3ZpZS5tMnRz`,
          parts: [
            {
              partNumber: 1,
              etag: '"d41d8cd98f00b204e9800998ecf8427e"',
              hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
            },
          ],
        },
      ],
    }),
  response: z.object({ path: z.string(), completed: z.boolean() }),
  maxBodyBytes: BATCH_BODY_BYTES,
});

export const reconstruct = contract({
  surface: 'sync',
  summary:
    'Presigned get URLs to restore the workspace: full, memory or active (the whole bundle, or 413 when it does not fit; pages with `limit`/`cursor`)',
  query: z.strictObject(agentQuery),
  body: z.strictObject({
    mode: z.enum(['full', 'memory', 'active']).default('full'),
    cursor,
    limit: z.number().int().min(1).max(100000).optional(),
  }),
  response: z.object({
    mode: z.string(),
    version: z.number(),
    files: z.array(fileSchema.extend({ url: z.string(), expiresAt: z.string() })),
    nextCursor: z.string().optional(),
  }),
});

export const listFiles = contract({
  surface: 'sync',
  summary: 'Backed-up files under a prefix, in path order (the whole listing, or 413 when it does not fit; pages with `limit`/`cursor`)',
  query: z.strictObject({ ...agentQuery, prefix: z.string().max(1100).optional(), cursor, limit: limit(100000) }),
  response: z.object({ files: z.array(fileSchema), nextCursor: z.string().optional() }),
});

export const getStats = contract({
  surface: 'sync',
  summary: 'Counters of the agent’s backup',
  query: z.strictObject(agentQuery),
  response: z.object({
    agentId: z.string(),
    fileCount: z.number(),
    totalSize: z.number(),
    lastSyncAt: z.string().nullable(),
    lastConfirmAt: z.string().nullable(),
    sessionCount: z.number(),
    version: z.number(),
    registeredAt: z.string().nullable(),
  }),
});

const sessionSchema = z.object({ sessionId: z.string(), path: z.string(), size: z.number(), modified: z.string() });

export const listSessions = contract({
  surface: 'sync',
  summary: 'Saved sessions (files `sessions/<sessionId>.<ext>`), newest first',
  query: z.strictObject(agentQuery),
  response: z.object({ sessions: z.array(sessionSchema) }),
});

export const getSession = contract({
  surface: 'sync',
  summary: 'One saved session as text (413 with a presigned URL when larger than the inline limit)',
  params: z.strictObject({ sessionId: z.string().min(1).max(255) }),
  query: z.strictObject(agentQuery),
  response: sessionSchema.extend({ content: z.string() }),
});

export const deleteFile = contract({
  surface: 'sync',
  summary: 'Remove a file from the manifest and the bucket',
  params: z.strictObject({ filePath: workspacePath }),
  query: z.strictObject(agentQuery),
  response: z.object({ removed: z.boolean() }),
});
