import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { formatUrl } from '@aws-sdk/core/util';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { HttpRequest } from '@smithy/core/protocols';
import { s3Client } from '../../kit/aws';
import { config } from '../../kit/config';
import { UNCONFIRMED_UPLOAD_TAG } from '../../kit/data-model';
import { partSizeFor } from '../../shared/sync-limits';
import { bucketAddress, encodeKey, hostOf, type BucketAddress } from './bucket-address';
import { putObjectTags } from './object-tagging';

/** The unconfirmed tag as S3 takes it in `x-amz-tagging` and CreateMultipartUpload's `Tagging`. */
const UNCONFIRMED_TAGGING = new URLSearchParams({ [UNCONFIRMED_UPLOAD_TAG.key]: UNCONFIRMED_UPLOAD_TAG.value }).toString();

export const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

export interface SignedRequest {
  method: 'PUT' | 'GET';
  url: string;
  /** Headers the client must send exactly as given (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: string;
}

export const expiresAt = (): string => new Date(Date.now() + config.presignTtlSeconds * 1000).toISOString();

interface UrlSigner extends BucketAddress {
  presigner: S3RequestPresigner;
}

let signer: Promise<UrlSigner> | undefined;

/**
 * Signs each URL directly at the bucket's resolved address: running S3's endpoint rules and
 * middleware stack per URL made presigning 1,000 files take seconds.
 */
function urlSigner(): Promise<UrlSigner> {
  signer ??= (async () => {
    const address = { ...(await bucketAddress()) };
    // clients may reach S3 at another address than the functions do (config.s3PublicEndpoint)
    const publicEndpoint = config.s3PublicEndpoint;
    if (publicEndpoint) {
      const base = new URL(publicEndpoint);
      address.protocol = base.protocol;
      address.hostname = base.hostname;
      if (base.port) address.port = Number(base.port);
      else delete address.port;
    }
    return { ...address, presigner: new S3RequestPresigner({ ...s3Client().config, signingName: 's3' }) };
  })().catch((error) => {
    signer = undefined;
    throw error;
  });
  return signer;
}

async function sign(
  method: 'GET' | 'PUT',
  key: string,
  query: Record<string, string>,
  headers: Record<string, string>,
  options: { signableHeaders?: Set<string>; unhoistableHeaders?: Set<string> } = {},
): Promise<string> {
  const s = await urlSigner();
  const host = hostOf(s);
  const request = new HttpRequest({
    method,
    protocol: s.protocol,
    hostname: s.hostname,
    port: s.port,
    path: s.pathPrefix + encodeKey(key),
    query,
    headers: { host, ...headers },
  });
  return formatUrl(await s.presigner.presign(request, { expiresIn: config.presignTtlSeconds, ...options }));
}

/**
 * A put URL for one key. With a declared hash and size, `x-amz-checksum-sha256` and
 * `content-length` are signed headers (not hoisted into the query), so S3 refuses other bytes.
 * `content-type` is signed only when the client declared one: a client that did not may send any.
 * An `unconfirmed` put is an upload straight to a key of its own: the object is created tagged
 * unconfirmed (`x-amz-tagging`) and only if the key holds nothing yet (`If-None-Match: *`), so
 * replaying the URL after the confirm cleared the tag is refused (412) instead of tagging the
 * confirmed object again.
 */
export async function presignPut(
  key: string,
  options: { contentType?: string; hash?: string; size?: number; unconfirmed?: boolean },
): Promise<SignedRequest> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.hash) headers['x-amz-checksum-sha256'] = hexToBase64(options.hash);
  if (options.size !== undefined) headers['content-length'] = String(options.size);
  if (options.unconfirmed) {
    headers['x-amz-tagging'] = UNCONFIRMED_TAGGING;
    headers['if-none-match'] = '*';
  }
  const url = await sign('PUT', key, { 'x-id': 'PutObject' }, headers, {
    unhoistableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-tagging']),
    signableHeaders: new Set(['content-length', 'content-type', 'if-none-match']),
  });
  return { method: 'PUT', url, headers, expiresAt: expiresAt() };
}

export async function presignGet(key: string, versionId?: string): Promise<SignedRequest> {
  const url = await sign('GET', key, { 'x-id': 'GetObject', ...(versionId ? { versionId } : {}) }, {});
  return { method: 'GET', url, headers: {}, expiresAt: expiresAt() };
}

/** A checked upload: the version (or ETag) that was checked, and when S3 stored it (whole seconds). */
export type Verification = { ok: true; versionId?: string; etag?: string; storedAt?: Date } | { ok: false; reason: string };

export const MISSING_UPLOAD: Verification = {
  ok: false,
  reason:
    'no uploaded object with this SHA-256 and size (upload it with the presigned URL first, and confirm with the uploadId the presign answered)',
};
const OTHER_HASH: Verification = { ok: false, reason: 'the uploaded object has another SHA-256' };
/** S3's answers for a key that holds nothing (a delete marker's MethodNotAllowed included). */
const isMissing = (error: unknown) => ['NoSuchKey', 'NotFound', 'MethodNotAllowed'].includes((error as { name?: string }).name ?? '');
const versionOf = (v: string | undefined) => (v && v !== 'null' ? v : undefined);

/** The object's HEAD with its stored checksums, or why it cannot be the upload: missing, or of another size. */
async function headOfSize(key: string, size: number): Promise<HeadObjectCommandOutput | Verification> {
  let head: HeadObjectCommandOutput;
  try {
    head = await s3Client().send(new HeadObjectCommand({ Bucket: config.bucketName, Key: key, ChecksumMode: 'ENABLED' }));
  } catch (error) {
    if (isMissing(error)) return MISSING_UPLOAD;
    throw error;
  }
  if (head.ContentLength !== size) return { ok: false, reason: `the uploaded object is ${head.ContentLength} bytes, not ${size}` };
  return head;
}

/**
 * Checks the stored object against the declared size and SHA-256. S3 answers a HEAD with the
 * SHA-256 it checked and stored at upload (locally local/s3-checksums.ts does the same): no bytes
 * move and the connection stays open. Where there is none (a multipart object's checksum of
 * checksums, an upload presigned without a hash) the object is streamed through a hash.
 */
export async function verifyObject(key: string, expected: { hash: string; size: number }): Promise<Verification> {
  const head = await headOfSize(key, expected.size);
  if ('ok' in head) return head;
  const stored = head.ChecksumSHA256;
  if (stored && head.ChecksumType !== 'COMPOSITE' && !stored.includes('-')) {
    return stored === hexToBase64(expected.hash)
      ? { ok: true, versionId: versionOf(head.VersionId), etag: head.ETag, storedAt: head.LastModified }
      : OTHER_HASH;
  }
  let res: GetObjectCommandOutput;
  try {
    res = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key }));
  } catch (error) {
    if (isMissing(error)) return MISSING_UPLOAD;
    throw error;
  }
  const body = res.Body as Readable;
  if (res.ContentLength !== expected.size) {
    body.destroy();
    return { ok: false, reason: `the uploaded object is ${res.ContentLength} bytes, not ${expected.size}` };
  }
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex') === expected.hash
    ? { ok: true, versionId: versionOf(res.VersionId), etag: res.ETag, storedAt: res.LastModified }
    : OTHER_HASH;
}

export async function deleteObject(key: string): Promise<void> {
  await s3Client().send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: key }));
}

export async function readObjectText(key: string, versionId?: string): Promise<string> {
  const res = await s3Client().send(
    new GetObjectCommand({ Bucket: config.bucketName, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
  );
  return (await res.Body?.transformToString('utf8')) ?? '';
}

/** Copies a verified staged object to its blob key; only that version (AWS) or that ETag is copied. */
export async function copyObject(from: string, to: string, source: { versionId?: string; etag?: string }): Promise<void> {
  const encoded = encodeKey(`${config.bucketName}/${from}`);
  await s3Client().send(
    new CopyObjectCommand({
      Bucket: config.bucketName,
      Key: to,
      CopySource: source.versionId ? `${encoded}?versionId=${encodeURIComponent(source.versionId)}` : encoded,
      ...(source.etag ? { CopySourceIfMatch: source.etag } : {}),
    }),
  );
}

export interface PartUrl {
  partNumber: number;
  size: number;
  url: string;
  headers: Record<string, string>;
}

/** The part sizes of an upload: `partSize` each, the last one the rest. */
export function partSizes(size: number, partSize: number): number[] {
  const count = Math.max(1, Math.ceil(size / partSize));
  return Array.from({ length: count }, (_, i) => (i < count - 1 ? partSize : size - partSize * (count - 1)));
}

/** The server's part size for an upload whose client did not choose one. */
export const defaultPartSize = (size: number): number => partSizeFor(size, config.syncPartSizeBytes);

/**
 * S3's checksum of a multipart upload made with per-part SHA-256: the SHA-256 of the parts'
 * digests, base64, with `-<parts>` (a COMPOSITE checksum).
 */
export function compositeSha256(partHashes: string[]): string {
  const digest = createHash('sha256');
  for (const h of partHashes) digest.update(Buffer.from(h, 'hex'));
  return `${digest.digest('base64')}-${partHashes.length}`;
}

/**
 * Starts a multipart upload. With part hashes, S3 keeps a SHA-256 per part and refuses a part with
 * other bytes; the declared whole-file hash and the composite checksum go into the object's
 * metadata, so confirm compares them with what S3 stored without reading the bytes. The object is
 * tagged unconfirmed from the start: if no confirm ever untags it, a lifecycle rule removes it.
 */
export async function startMultipart(key: string, options: { contentType?: string; hash: string; partHashes?: string[] }): Promise<string> {
  const { UploadId } = await s3Client().send(
    new CreateMultipartUploadCommand({
      Bucket: config.bucketName,
      Key: key,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      Metadata: { sha256: options.hash, ...(options.partHashes ? { 'sha256-parts': compositeSha256(options.partHashes) } : {}) },
      Tagging: UNCONFIRMED_TAGGING,
      ...(options.partHashes ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
    }),
  );
  return UploadId as string;
}

/** One URL per part, each signing its exact content-length (and SHA-256 when declared). */
export async function signParts(key: string, s3UploadId: string, sizes: number[], partHashes?: string[]): Promise<PartUrl[]> {
  const parts: PartUrl[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const partNumber = i + 1;
    const headers: Record<string, string> = { 'content-length': String(sizes[i]) };
    if (partHashes) headers['x-amz-checksum-sha256'] = hexToBase64(partHashes[i]);
    const query = { 'x-id': 'UploadPart', partNumber: String(partNumber), uploadId: s3UploadId };
    const url = await sign('PUT', key, query, headers, {
      signableHeaders: new Set(['content-length']),
      unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
    });
    parts.push({ partNumber, size: sizes[i], url, headers });
  }
  return parts;
}

/**
 * Marks an object as not (yet) named by any entry, or clears that mark (which also proves the
 * object is there: a missing one is NoSuchKey). The local emulator ignores tags given when a
 * multipart upload starts, so completing one tags the object again. Sent without the SDK's command
 * stack (object-tagging.ts): a confirm makes one such request per file.
 */
export async function markUnconfirmed(key: string, unconfirmed: boolean): Promise<void> {
  await putObjectTags(key, unconfirmed ? [UNCONFIRMED_UPLOAD_TAG] : []);
}

/**
 * Takes a direct put for its confirm: clears its unconfirmed tag, one request that also proves the
 * object is there. Its key names the hash and size S3 checked, so a missing one is MISSING_UPLOAD.
 */
export async function takeDirectUpload(key: string): Promise<Verification> {
  try {
    await markUnconfirmed(key, false);
  } catch (error) {
    if (isMissing(error)) return MISSING_UPLOAD;
    throw error;
  }
  return { ok: true };
}

export async function completeMultipart(
  key: string,
  s3UploadId: string,
  parts: { partNumber: number; etag: string; hash?: string }[],
): Promise<void> {
  await s3Client().send(
    new CompleteMultipartUploadCommand({
      Bucket: config.bucketName,
      Key: key,
      UploadId: s3UploadId,
      MultipartUpload: {
        Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ...(p.hash ? { ChecksumSHA256: hexToBase64(p.hash) } : {}) })),
      },
    }),
  );
  await markUnconfirmed(key, true);
}

/**
 * How long after its completion a multipart upload can still be confirmed: well inside the day
 * after which the lifecycle rule may remove it while it is still tagged unconfirmed.
 */
const MULTIPART_CONFIRM_WINDOW_MS = 12 * 3600 * 1000;

/**
 * Checks a completed multipart upload: its size, the whole-file SHA-256 declared at presign, and
 * the composite checksum S3 computed from the parts it checked, from one HEAD (no bytes). Where
 * the store kept no part checksums (no part hashes declared; the local emulator) the bytes are hashed.
 */
export async function verifyMultipart(key: string, expected: { hash: string; size: number }): Promise<Verification> {
  const head = await headOfSize(key, expected.size);
  if ('ok' in head) return head;
  if (head.LastModified && Date.now() - head.LastModified.getTime() > MULTIPART_CONFIRM_WINDOW_MS) {
    return { ok: false, reason: 'the upload was completed more than 12 hours ago and is left to expire; upload the file again' };
  }
  if (head.Metadata?.sha256 !== expected.hash) return { ok: false, reason: 'the upload was started for another SHA-256' };
  const declared = head.Metadata?.['sha256-parts'];
  if (declared && head.ChecksumSHA256) {
    return head.ChecksumSHA256 === declared
      ? { ok: true, storedAt: head.LastModified }
      : { ok: false, reason: 'the stored parts have other SHA-256 checksums than declared' };
  }
  return verifyObject(key, expected);
}
