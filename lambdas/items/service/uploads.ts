import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AuthContext } from '../../kit/auth-context';
import { documentClient, s3Client } from '../../kit/aws';
import { config } from '../../kit/config';
import { badRequest, conflict, isConditionFailure, isMissingObject, notFound, tooLarge } from '../../kit/errors';
import { expiryShard } from './store';
import { nowSeconds } from './scope';

/**
 * Staged uploads of large local files (extension of seed 003, docs/items.md): the client PUTs the
 * bytes to a presigned URL, then adds an item that names the upload. An upload belongs to the key's
 * tenant and agent binding (tenant-wide keys share `-`), so another tenant's or agent's id is never
 * found. Its record lives in the manifests table with the expiry fields of an item entry, so the
 * item sweeper removes an unused upload's record and staged bytes once it expires; S3's
 * `items/uploads/` lifecycle rule (1 day) is the backstop.
 */
export interface UploadRecord {
  pk: string;
  sk: string;
  /** The upload id; named itemId so the sweeper's clean-up (entry + blobKey) applies as is. */
  itemId: string;
  status: 'staged' | 'used';
  size: number;
  contentType?: string;
  /** Staging key of the bytes. */
  blobKey: string;
  createdAt: string;
  expiresAt: number;
  expiryShard: string;
  /** The item an upload was added as (for the message of a second add). */
  usedFor?: string;
}

/** How long after its URL expires an upload may still be added as an item. */
const ADD_WINDOW_SECONDS = 3600;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

const owner = (auth: AuthContext) => auth.agent ?? '-';
const uploadsPk = (auth: AuthContext) => `T#${auth.tenant}#ITEMUPLOADS#${owner(auth)}`;
export const stagingKey = (auth: AuthContext, id: string) => `items/uploads/${auth.tenant}/${owner(auth)}/${id}`;
const table = () => config.tableName('manifests');

const uploadNotFound = (id: string) =>
  notFound(
    `No upload ${id} (uploads expire ${ADD_WINDOW_SECONDS / 3600} hour after their URL; create one with POST /api/workspace/items/uploads)`,
    'UPLOAD_NOT_FOUND',
  );

export interface UploadInput {
  size: number;
  contentType?: string;
}

/** Creates an upload: a PUT URL for exactly `size` bytes (Content-Length is signed, so S3 refuses other sizes). */
export async function createUpload(auth: AuthContext, input: UploadInput) {
  if (input.size > config.fetchMaxBytes) throw tooLarge(`size is ${input.size} bytes; items are limited to ${config.fetchMaxBytes} bytes`);
  if (input.contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+(\s*;.{0,200})?$/.test(input.contentType)) {
    throw badRequest('contentType must be a media type such as text/markdown');
  }
  const id = randomBytes(16).toString('hex');
  const urlSeconds = config.presignTtlSeconds;
  const record: UploadRecord = {
    pk: uploadsPk(auth),
    sk: id,
    itemId: id,
    status: 'staged',
    size: input.size,
    ...(input.contentType ? { contentType: input.contentType } : {}),
    blobKey: stagingKey(auth, id),
    createdAt: new Date().toISOString(),
    expiresAt: Math.ceil(nowSeconds() + urlSeconds + ADD_WINDOW_SECONDS),
    expiryShard: expiryShard(id),
  };
  await documentClient().send(new PutCommand({ TableName: table(), Item: record }));
  const headers: Record<string, string> = {
    'content-length': String(input.size),
    ...(input.contentType ? { 'content-type': input.contentType } : {}),
  };
  const url = await getSignedUrl(
    s3Client(),
    new PutObjectCommand({ Bucket: config.bucketName, Key: record.blobKey, ContentLength: input.size, ContentType: input.contentType }),
    { expiresIn: urlSeconds, signableHeaders: new Set(Object.keys(headers)) },
  );
  return {
    uploadId: id,
    url,
    method: 'PUT' as const,
    headers,
    expiresAt: new Date(Date.now() + urlSeconds * 1000).toISOString(),
    maxBytes: config.fetchMaxBytes,
  };
}

/**
 * Takes an upload for one add: it must be this key's, unused, unexpired and hold exactly the declared
 * bytes. Marked used at once (a second add of the same id is refused); `release` gives it back
 * when the add fails before anything was stored.
 */
export async function claimUpload(auth: AuthContext, id: unknown, itemPath: string): Promise<UploadRecord> {
  if (typeof id !== 'string' || !UPLOAD_ID.test(id))
    throw badRequest('upload.id must be an uploadId returned by POST /api/workspace/items/uploads');
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: table(), Key: { pk: uploadsPk(auth), sk: id }, ConsistentRead: true }),
  );
  const record = Item as UploadRecord | undefined;
  if (!record || record.expiresAt <= nowSeconds()) throw uploadNotFound(id);
  if (record.status === 'used') throw usedError(record);
  let stored: number | undefined;
  try {
    stored = (await s3Client().send(new HeadObjectCommand({ Bucket: config.bucketName, Key: record.blobKey }))).ContentLength ?? 0;
  } catch (error) {
    if (!isMissingObject(error)) throw error;
  }
  if (stored === undefined)
    throw conflict(`Nothing was uploaded for upload ${id}: PUT the file to its url (with its headers) first`, 'UPLOAD_INCOMPLETE');
  if (stored !== record.size) throw conflict(`Upload ${id} holds ${stored} bytes, not the declared ${record.size}`, 'UPLOAD_INCOMPLETE');
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: record.pk, sk: record.sk },
        UpdateExpression: 'SET #status = :used, usedFor = :path',
        ConditionExpression: '#status = :staged',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':used': 'used', ':staged': 'staged', ':path': itemPath },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw usedError(record);
    throw error;
  }
  return record;
}

/** Gives an upload back after an add that stored nothing (e.g. ITEM_EXISTS), so the client may retry with it. */
export async function releaseUpload(record: UploadRecord): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: table(),
      Key: { pk: record.pk, sk: record.sk },
      UpdateExpression: 'SET #status = :staged REMOVE usedFor',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':staged': 'staged' },
    }),
  );
}

const usedError = (record: UploadRecord) =>
  conflict(
    `Upload ${record.sk} was already added${record.usedFor ? ` as ${record.usedFor}` : ''}; an upload is added once: create a new one`,
    'UPLOAD_USED',
  );
