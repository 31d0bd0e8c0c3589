import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from '../../kit/aws';
import { config } from '../../kit/config';
import { fetchRefused } from './fetch-url';
import type { ScopeRef } from './scope';

/** Bytes of scoped items: `items/<scope>/<tenant>/<blob id>`, a new object on every write or move
 * (so S3's lifecycle backstop counts from the item's last write, like its TTL). */
export const newBlobKey = (ref: ScopeRef): string => `items/${ref.scope}/${ref.tenant}/${randomUUID()}`;

const PART_SIZE = 8 * 1024 * 1024;

export async function putBlob(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: bytes, ContentType: contentType }));
}

/**
 * Streams a body to S3 in 8 MiB multipart parts (one PutObject when smaller), refusing more than
 * `maxBytes`; keeps the first `headBytes` for indexing. On failure nothing is left behind.
 */
export async function putStream(
  key: string,
  body: Readable,
  contentType: string,
  maxBytes: number,
  headBytes: number,
): Promise<{ size: number; head: Buffer }> {
  const s3 = s3Client();
  const Bucket = config.bucketName;
  let uploadId: string | undefined;
  const parts: { ETag?: string; PartNumber: number }[] = [];
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let size = 0;
  const head: Buffer[] = [];
  let headSize = 0;
  const flush = async () => {
    uploadId ??= (await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }))).UploadId;
    const PartNumber = parts.length + 1;
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber, Body: Buffer.concat(pending) }),
    );
    parts.push({ ETag, PartNumber });
    pending = [];
    pendingSize = 0;
  };
  try {
    for await (const part of body) {
      const chunk = part as Buffer;
      size += chunk.length;
      if (size > maxBytes) throw fetchRefused(`the file is larger than ${maxBytes} bytes`);
      if (headSize < headBytes) {
        head.push(chunk.subarray(0, headBytes - headSize));
        headSize += Math.min(chunk.length, headBytes - headSize);
      }
      pending.push(chunk);
      pendingSize += chunk.length;
      if (pendingSize >= PART_SIZE) await flush();
    }
    if (uploadId === undefined) await putBlob(key, Buffer.concat(pending), contentType);
    else {
      if (pendingSize > 0) await flush();
      await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    }
  } catch (error) {
    body.destroy();
    if (uploadId !== undefined)
      await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
  return { size, head: Buffer.concat(head) };
}

/** An object's bytes, or only its first `headBytes` bytes. */
export async function getBlob(key: string, headBytes?: number): Promise<Buffer> {
  const range = headBytes === undefined ? {} : { Range: `bytes=0-${headBytes - 1}` };
  const { Body } = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key, ...range }));
  return Buffer.from(await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

export async function deleteBlob(key: string | undefined): Promise<void> {
  if (key) await s3Client().send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: key }));
}

export async function copyBlob(from: string, to: string): Promise<void> {
  const Bucket = config.bucketName;
  await s3Client().send(
    new CopyObjectCommand({ Bucket, Key: to, CopySource: `${Bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}` }),
  );
}

/** A short-lived GET URL for items too large to answer inline. */
export function presignGet(key: string): Promise<string> {
  return getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: config.bucketName, Key: key }), { expiresIn: config.presignTtlSeconds });
}
