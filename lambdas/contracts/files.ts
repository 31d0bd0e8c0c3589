import * as z from 'zod';
import { contract } from './contract';
import { DEPLOYMENT_ID, FILE_ID, fileNameProblem, parseStoragePath } from '../shared/file-names';

/** Largest object one presigned PUT can write (S3's single-PUT limit). */
export const MAX_FILE_SIZE = 5 * 1024 ** 3;
/** Files per sync or pull request: keeps one request well inside a function's time limit. */
export const MAX_FILES_PER_TRANSFER = 100;

const problemCheck = (problemOf: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const problem = problemOf(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

const deploymentId = z
  .string()
  .regex(DEPLOYMENT_ID, 'must be a deployment id (dep_ followed by 20 letters or digits)')
  .meta({ examples: ['dep_0123456789abcdefghij'] });
const fileName = z
  .string()
  .superRefine(problemCheck(fileNameProblem))
  .meta({ examples: ['data.csv'] });
const storagePath = z
  .string()
  .max(2048)
  .superRefine(
    problemCheck((v) => {
      const parsed = parseStoragePath(v);
      return 'problem' in parsed ? parsed.problem : undefined;
    }),
  )
  .meta({ examples: ['deployments/dep_0123456789abcdefghij/data.csv'] });
const fileSize = z
  .number()
  .int('must be a whole number of bytes')
  .min(0)
  .max(MAX_FILE_SIZE, `must be at most ${MAX_FILE_SIZE} bytes (5 GiB)`);
const mimeType = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;[\x20-\x7e]*)?$/i, 'must be a media type such as text/csv')
  .meta({ examples: ['text/csv'] });

/**
 * The body of a sync or pull in which some or all files failed (207, transfer-reply.ts): `success` is
 * false, so a seed client cannot take it for a finished copy, and every file's result stays in `data`.
 */
export const failedTransferBody = (data: unknown, error: { code: 'PARTIAL_FAILURE' | 'TRANSFER_FAILED'; message: string }) => ({
  success: false,
  message: error.message,
  error,
  data,
});

const failedTransfer = (verb: string) => ({
  description: `Some (error.code PARTIAL_FAILURE) or all (TRANSFER_FAILED) files were not ${verb}: success is false; data.failedFiles says why for each`,
  body: (data: unknown) =>
    failedTransferBody(data, {
      code: 'PARTIAL_FAILURE',
      message: `2 of 3 files ${verb}; data.failedFiles says why each other file failed`,
    }),
});

export const deploymentStatus = z.enum(['provisioning', 'running', 'stopped', 'terminated']);

export const deploymentSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: deploymentStatus,
  agent: z.string().optional(),
  sandbox: z.object({ state: deploymentStatus, desktopPath: z.string(), expiresAt: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const fileRecordSchema = z.object({
  _id: z.string(),
  id: z.string(),
  deploymentId: z.string(),
  userId: z.string(),
  fileName: z.string(),
  fileSize: z.number(),
  mimeType: z.string(),
  storagePath: z.string(),
  status: z.literal('ready'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const idParams = z.strictObject({ id: deploymentId });
const deploymentResponse = z.object({ deployment: deploymentSchema });
const failedFile = z.object({ file: z.string(), code: z.string(), reason: z.string() });

export const createDeployment = contract({
  surface: 'files',
  summary: 'Create a deployment and its sandbox Desktop (beyond seed 004, which needs somewhere for files to go)',
  quotas: ['running sandboxes per tenant'],
  body: z.strictObject({
    name: z.string().trim().min(1).max(128),
    durationMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .optional(),
  }),
  response: deploymentResponse,
  successStatus: 201,
});

export const listDeployments = contract({
  surface: 'files',
  summary: 'List deployments, newest first',
  response: z.object({ deployments: z.array(deploymentSchema) }),
});

export const getDeployment = contract({
  surface: 'files',
  summary: 'Get a deployment',
  params: idParams,
  response: deploymentResponse,
});

export const stopDeployment = contract({
  surface: 'files',
  summary: 'Stop a deployment’s sandbox (its Desktop and files stay)',
  params: idParams,
  response: deploymentResponse,
});

export const listFiles = contract({
  surface: 'files',
  summary: 'List the files tracked for a deployment',
  query: z.object({ deploymentId }),
  response: z.object({ files: z.array(fileRecordSchema) }),
});

export const presignUpload = contract({
  surface: 'files',
  summary: 'Get a presigned PUT URL for one file (signs its size and type; expires in 15 minutes or less)',
  body: z.strictObject({ deploymentId, fileName, fileSize, mimeType }),
  response: z.object({ uploadUrl: z.string(), storagePath: z.string(), expiresAt: z.string(), headers: z.record(z.string(), z.string()) }),
});

export const recordUpload = contract({
  surface: 'files',
  summary: 'Record a finished upload (checks the stored object and its size first)',
  body: z.strictObject({ deploymentId, fileName, fileSize, mimeType, storagePath }),
  response: z.object({ file: fileRecordSchema }),
});

export const downloadFile = contract({
  surface: 'files',
  summary: 'Get a short-lived presigned download URL for a file',
  query: z.object({
    fileId: z
      .string()
      .regex(FILE_ID, 'must be a file id (file_…)')
      .meta({ examples: ['file_0123456789abcdefghijklmnop'] }),
  }),
  response: z.object({ downloadUrl: z.string(), expiresAt: z.string() }),
});

export const syncFiles = contract({
  surface: 'files',
  summary: 'Copy files from storage into the running sandbox’s Desktop',
  partialFailure: failedTransfer('synced to sandbox Desktop'),
  params: idParams,
  body: z.strictObject({ files: z.array(storagePath).min(1).max(MAX_FILES_PER_TRANSFER) }),
  response: z.object({
    syncedFiles: z.array(z.object({ storagePath: z.string(), fileName: z.string(), fileSize: z.number() })),
    failedFiles: z.array(failedFile),
  }),
});

export const pullFiles = contract({
  surface: 'files',
  summary: 'Copy files from the sandbox’s Desktop into storage and register them',
  partialFailure: failedTransfer('pulled from sandbox Desktop'),
  params: idParams,
  body: z.strictObject({ files: z.array(fileName).min(1).max(MAX_FILES_PER_TRANSFER) }),
  response: z.object({
    pulledFiles: z.array(z.object({ fileName: z.string(), storagePath: z.string(), fileSize: z.number(), fileId: z.string() })),
    failedFiles: z.array(failedFile),
  }),
});
