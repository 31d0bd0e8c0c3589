import { GetObjectCommand, PutObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { AuthContext } from '../../kit/auth-context';
import { s3Client } from '../../kit/aws';
import { config } from '../../kit/config';
import { badRequest, conflict } from '../../kit/errors';
import { logger } from '../../kit/observability';
import { MAX_FILE_SIZE } from '../../contracts/files';
import { getDeployment } from './deployments';
import { DesktopRefusal, openInDesktop, writeIntoDesktop } from './desktop';
import { registerFile, storedSize } from './files';
import { type DeploymentStatus, getFileRecord } from './store';
import { mimeTypeOf } from '../../shared/mime-types';
import { objectKeyOf, parseStoragePath, storagePathOf } from '../../shared/file-names';

/**
 * Copies between S3 and a sandbox's Desktop, streaming (a file never sits in memory whole) and a
 * few files at a time. Each file succeeds or fails on its own; the answer lists both.
 */

/** Files copied at once: enough to hide per-request latency, few enough for a small function. */
const PARALLEL_COPIES = 8;

export interface FailedFile {
  file: string;
  code: string;
  reason: string;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A refusal says what is wrong with the file; anything else is logged and answered without its text (no errno, no path). */
function failure(file: string, error: unknown, requestId: string): FailedFile {
  if (error instanceof DesktopRefusal) return { file, code: error.code, reason: error.message };
  logger.error('file copy failed', { file, requestId, error: error as Error });
  return {
    file,
    code: 'INTERNAL_ERROR',
    reason: `The copy failed on the server (request id ${requestId}); try again, and report the request id if it keeps failing`,
  };
}

async function requireStatus(auth: AuthContext, deploymentId: string, allowed: DeploymentStatus[], action: string): Promise<void> {
  const { status } = await getDeployment(auth, deploymentId);
  if (!allowed.includes(status)) throw conflict(`The sandbox of deployment ${deploymentId} is ${status}; ${action}`);
}

export async function syncToDesktop(auth: AuthContext, deploymentId: string, storagePaths: string[], requestId: string) {
  const fileNames = [...new Set(storagePaths)].map((path) => {
    const parsed = parseStoragePath(path);
    if ('problem' in parsed) throw badRequest(`body.files: ${path} ${parsed.problem}`);
    if (parsed.deploymentId !== deploymentId)
      throw badRequest(`body.files: ${path} belongs to another deployment; sync copies this deployment's files only`);
    return parsed.fileName;
  });
  await requireStatus(auth, deploymentId, ['running'], 'sync needs a running sandbox');
  const syncedFiles: { storagePath: string; fileName: string; fileSize: number }[] = [];
  const failedFiles: FailedFile[] = [];
  await eachLimited(fileNames, PARALLEL_COPIES, async (fileName) => {
    const storagePath = storagePathOf(deploymentId, fileName);
    try {
      const fileSize = await copyObjectToDesktop(auth, deploymentId, fileName);
      syncedFiles.push({ storagePath, fileName, fileSize });
    } catch (error) {
      failedFiles.push(failure(storagePath, error, requestId));
    }
  });
  return { syncedFiles, failedFiles };
}

async function copyObjectToDesktop(auth: AuthContext, deploymentId: string, fileName: string): Promise<number> {
  const unknown = () => new DesktopRefusal('RESOURCE_NOT_FOUND', `No file is recorded at ${storagePathOf(deploymentId, fileName)}`);
  if (!(await getFileRecord(auth.tenant, deploymentId, fileName))) throw unknown();
  let object: GetObjectCommandOutput;
  try {
    object = await s3Client().send(
      new GetObjectCommand({ Bucket: config.bucketName, Key: objectKeyOf(auth.tenant, deploymentId, fileName) }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') throw unknown();
    throw error;
  }
  const body = object.Body as Readable;
  try {
    return await writeIntoDesktop(auth.tenant, deploymentId, fileName, body, object.ContentLength ?? 0);
  } finally {
    // a refusal before the body was read would otherwise keep its connection out of the pool
    body.destroy();
  }
}

export async function pullFromDesktop(auth: AuthContext, deploymentId: string, fileNames: string[], requestId: string) {
  // a stopped sandbox keeps its Desktop until it is terminated, so its results can still be pulled
  await requireStatus(auth, deploymentId, ['running', 'stopped'], 'pull needs a running or stopped sandbox whose Desktop still exists');
  const pulledFiles: { fileName: string; storagePath: string; fileSize: number; fileId: string }[] = [];
  const failedFiles: FailedFile[] = [];
  await eachLimited([...new Set(fileNames)], PARALLEL_COPIES, async (fileName) => {
    try {
      const fileSize = await copyDesktopFileToObject(auth, deploymentId, fileName);
      const record = await registerFile(auth, { deploymentId, fileName, fileSize, mimeType: mimeTypeOf(fileName) });
      pulledFiles.push({ fileName, storagePath: record.storagePath, fileSize, fileId: record.id });
    } catch (error) {
      failedFiles.push(failure(fileName, error, requestId));
    }
  });
  return { pulledFiles, failedFiles };
}

/** Streams exactly the size seen at open; S3 then holds that many bytes or the copy fails. */
async function copyDesktopFileToObject(auth: AuthContext, deploymentId: string, fileName: string): Promise<number> {
  const file = await openInDesktop(auth.tenant, deploymentId, fileName);
  const body = file.size ? file.handle.createReadStream({ start: 0, end: file.size - 1, autoClose: false }) : undefined;
  try {
    if (file.size > MAX_FILE_SIZE)
      throw new DesktopRefusal('INVALID_REQUEST', `"${fileName}" has ${file.size} bytes; one file can be at most ${MAX_FILE_SIZE}`);
    await s3Client().send(
      new PutObjectCommand({
        Bucket: config.bucketName,
        Key: objectKeyOf(auth.tenant, deploymentId, fileName),
        Body: body ?? Buffer.alloc(0),
        ContentLength: file.size,
        ContentType: mimeTypeOf(fileName),
      }),
    );
  } finally {
    // stop reading before the handle closes, whatever state the upload left the stream in
    body?.destroy();
    await file.close();
  }
  const stored = await storedSize(auth.tenant, deploymentId, fileName);
  if (stored !== file.size)
    throw new DesktopRefusal('CONFLICT', `"${fileName}" changed while it was copied (${stored ?? 0} of ${file.size} bytes stored)`);
  return file.size;
}
