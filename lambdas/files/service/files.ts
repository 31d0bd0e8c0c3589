import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AuthContext } from '../../kit/auth-context';
import { s3Client } from '../../kit/aws';
import { config } from '../../kit/config';
import { badRequest, conflict, isMissingObject, notFound } from '../../kit/errors';
import { getDeployment } from './deployments';
import { type FileRecord, getFilePointer, getFileRecord, putFileRecord, queryFileRecords } from './store';
import { fileIdOf, objectKeyOf, storagePathOf } from '../../shared/file-names';

/**
 * Files of a deployment (seed 004); their records are kept by store.ts.
 * Bytes live at `deployments/<tenant>/<deploymentId>/<fileName>`; the API shows the storage path
 * `deployments/<deploymentId>/<fileName>` (the tenant comes from the key, never from the client).
 */

export async function listFiles(auth: AuthContext, deploymentId: string): Promise<FileRecord[]> {
  await getDeployment(auth, deploymentId);
  return queryFileRecords(auth.tenant, deploymentId);
}

const expiry = () => new Date(Date.now() + config.presignTtlSeconds * 1000).toISOString();

export interface UploadDeclaration {
  deploymentId: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
}

/**
 * A PUT URL for exactly one object. Content-Length and Content-Type are signed headers, so S3
 * refuses a body of another size or type; the URL expires within config.presignTtlSeconds.
 */
export async function presignUpload(auth: AuthContext, input: UploadDeclaration) {
  await getDeployment(auth, input.deploymentId);
  const command = new PutObjectCommand({
    Bucket: config.bucketName,
    Key: objectKeyOf(auth.tenant, input.deploymentId, input.fileName),
    ContentLength: input.fileSize,
    ContentType: input.mimeType,
  });
  const uploadUrl = await getSignedUrl(s3Client(), command, {
    expiresIn: config.presignTtlSeconds,
    signableHeaders: new Set(['content-length', 'content-type']),
  });
  return {
    uploadUrl,
    storagePath: storagePathOf(input.deploymentId, input.fileName),
    expiresAt: expiry(),
    /** The headers the PUT must carry exactly, since they are signed. */
    headers: { 'content-type': input.mimeType, 'content-length': String(input.fileSize) },
  };
}

/** Records an upload once S3 holds the object with the declared size; otherwise 409 and no record. */
export async function recordUpload(auth: AuthContext, input: UploadDeclaration & { storagePath: string }): Promise<FileRecord> {
  const expected = storagePathOf(input.deploymentId, input.fileName);
  if (input.storagePath !== expected) throw badRequest(`body.storagePath: must be ${expected} for this deploymentId and fileName`);
  await getDeployment(auth, input.deploymentId);
  const stored = await storedSize(auth.tenant, input.deploymentId, input.fileName);
  if (stored === undefined) throw conflict(`Nothing was uploaded to ${expected}: PUT the file to the uploadUrl first`);
  if (stored !== input.fileSize) throw conflict(`The stored object at ${expected} has ${stored} bytes, not the declared ${input.fileSize}`);
  return registerFile(auth, input);
}

export async function storedSize(tenant: string, deploymentId: string, fileName: string): Promise<number | undefined> {
  try {
    const head = await s3Client().send(
      new HeadObjectCommand({ Bucket: config.bucketName, Key: objectKeyOf(tenant, deploymentId, fileName) }),
    );
    return head.ContentLength ?? 0;
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}

/** Writes (or refreshes) the record and its id pointer; the id and createdAt stay across rewrites. */
export async function registerFile(auth: AuthContext, input: UploadDeclaration): Promise<FileRecord> {
  const now = new Date().toISOString();
  const previous = await getFileRecord(auth.tenant, input.deploymentId, input.fileName);
  const id = fileIdOf(auth.tenant, input.deploymentId, input.fileName);
  const record: FileRecord = {
    _id: id,
    id,
    deploymentId: input.deploymentId,
    userId: auth.agent ?? auth.keyId,
    fileName: input.fileName,
    fileSize: input.fileSize,
    mimeType: input.mimeType,
    storagePath: storagePathOf(input.deploymentId, input.fileName),
    status: 'ready',
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
  await putFileRecord(auth.tenant, record);
  return record;
}

/** A short-lived GET URL for a recorded file; another tenant's (or agent's) file id is not found. */
export async function downloadUrl(auth: AuthContext, fileId: string) {
  const missing = () => notFound(`File ${fileId} not found`);
  const pointer = await getFilePointer(auth.tenant, fileId);
  if (!pointer) throw missing();
  const { deploymentId, fileName } = pointer;
  await getDeployment(auth, deploymentId).catch(() => Promise.reject(missing()));
  if (!(await getFileRecord(auth.tenant, deploymentId, fileName))) throw missing();
  const url = await getSignedUrl(
    s3Client(),
    new GetObjectCommand({ Bucket: config.bucketName, Key: objectKeyOf(auth.tenant, deploymentId, fileName) }),
    {
      expiresIn: config.presignTtlSeconds,
    },
  );
  return { downloadUrl: url, expiresAt: expiry() };
}
