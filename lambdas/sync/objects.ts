import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { formatUrl } from '@aws-sdk/core/util';
import { getSignedUrl, S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { HttpRequest } from '@smithy/core/protocols';
import { s3Client } from '../kit/aws';
import { config } from '../kit/config';
import type { AgentRef } from './store';

/** S3 allows keys of at most 1,024 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * Where a workspace file's bytes live: `sync/<tenant>/<agentId>/f/<path>`, or, when that key
 * would pass S3's 1,024-byte limit (paths may be 1,024 bytes themselves),
 * `sync/<tenant>/<agentId>/h/<sha256 of the path>`. The two folders cannot collide.
 */
export function objectKey(a: AgentRef, path: string): string {
  const prefix = `sync/${a.tenant}/${a.agentId}/`;
  const plain = `${prefix}f/${path}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_KEY_BYTES) return plain;
  return `${prefix}h/${createHash('sha256').update(path, 'utf8').digest('hex')}`;
}

export const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

export interface SignedRequest {
  method: 'PUT' | 'GET';
  url: string;
  /** Headers the client must send exactly as given (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: string;
}

const expiresAt = () => new Date(Date.now() + config.presignTtlSeconds * 1000).toISOString();

interface UrlSigner {
  presigner: S3RequestPresigner;
  protocol: string;
  hostname: string;
  port?: number;
  /** `/` (virtual-hosted, AWS) or `/<bucket>/` (path style, local). */
  pathPrefix: string;
}

let signer: Promise<UrlSigner> | undefined;

/**
 * Resolves the bucket's endpoint once with getSignedUrl, then signs each URL directly: running S3's
 * endpoint rules and middleware stack per URL made presigning 1,000 files take seconds.
 */
function urlSigner(): Promise<UrlSigner> {
  signer ??= (async () => {
    const probeKey = 'probe';
    const probe = new URL(await getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: config.bucketName, Key: probeKey }), { expiresIn: 60 }));
    // clients may reach S3 at another address than the functions do (config.s3PublicEndpoint)
    const publicEndpoint = config.s3PublicEndpoint;
    if (publicEndpoint) {
      const base = new URL(publicEndpoint);
      probe.protocol = base.protocol;
      probe.host = base.host;
    }
    return {
      presigner: new S3RequestPresigner({ ...s3Client().config, signingName: 's3' }),
      protocol: probe.protocol,
      hostname: probe.hostname,
      ...(probe.port ? { port: Number(probe.port) } : {}),
      pathPrefix: probe.pathname.slice(0, -probeKey.length),
    };
  })().catch((error) => {
    signer = undefined;
    throw error;
  });
  return signer;
}

/** S3's key encoding (the SDK's extendedEncodeURIComponent per segment; slashes kept). */
const encodeKey = (key: string) =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');

async function sign(
  method: 'GET' | 'PUT',
  key: string,
  query: Record<string, string>,
  headers: Record<string, string>,
  options: { signableHeaders?: Set<string>; unhoistableHeaders?: Set<string> } = {},
): Promise<string> {
  const s = await urlSigner();
  const host = s.port ? `${s.hostname}:${s.port}` : s.hostname;
  const request = new HttpRequest({ method, protocol: s.protocol, hostname: s.hostname, port: s.port, path: s.pathPrefix + encodeKey(key), query, headers: { host, ...headers } });
  return formatUrl(await s.presigner.presign(request, { expiresIn: config.presignTtlSeconds, ...options }));
}

/**
 * A put URL for one key. With a declared hash and size, `x-amz-checksum-sha256` and
 * `content-length` are signed headers (not hoisted into the query), so S3 refuses other bytes.
 */
export async function presignPut(key: string, options: { contentType?: string; hash?: string; size?: number }): Promise<SignedRequest> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/octet-stream' };
  if (options.hash) headers['x-amz-checksum-sha256'] = hexToBase64(options.hash);
  if (options.size !== undefined) headers['content-length'] = String(options.size);
  const url = await sign('PUT', key, { 'x-id': 'PutObject' }, headers, {
    unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
    signableHeaders: new Set(['content-length', 'content-type']),
  });
  return { method: 'PUT', url, headers, expiresAt: expiresAt() };
}

export async function presignGet(key: string, versionId?: string): Promise<SignedRequest> {
  const url = await sign('GET', key, { 'x-id': 'GetObject', ...(versionId ? { versionId } : {}) }, {});
  return { method: 'GET', url, headers: {}, expiresAt: expiresAt() };
}

export type Verification = { ok: true; versionId?: string } | { ok: false; reason: string };

const MISSING: Verification = { ok: false, reason: 'no uploaded object (upload it with the presigned URL first)' };
const OTHER_HASH: Verification = { ok: false, reason: 'the uploaded object has another SHA-256' };
const isMissing = (error: unknown) => ['NoSuchKey', 'NotFound'].includes((error as { name?: string }).name ?? '');
const versionOf = (v: string | undefined) => (v && v !== 'null' ? v : undefined);

/**
 * Whether this S3 stores checksums. S3 gives every new object at least a CRC64NVME checksum; a
 * store that answers with none for a single-part object (the local emulator) keeps none, and
 * from then on objects are hashed straight away instead of asked about first.
 */
let storesChecksums = true;

/**
 * Checks the stored object against the declared size and SHA-256. S3 answers a HEAD with the
 * SHA-256 it checked and stored at upload: no bytes move and the connection stays open. Where
 * there is none (a store without checksums, a multipart object's checksum of checksums, an upload
 * presigned without a hash) the object is streamed through a hash.
 */
export async function verifyObject(key: string, expected: { hash: string; size: number }): Promise<Verification> {
  if (storesChecksums) {
    let head;
    try {
      head = await s3Client().send(new HeadObjectCommand({ Bucket: config.bucketName, Key: key, ChecksumMode: 'ENABLED' }));
    } catch (error) {
      if (isMissing(error)) return MISSING;
      throw error;
    }
    if (head.ContentLength !== expected.size) return { ok: false, reason: `the uploaded object is ${head.ContentLength} bytes, not ${expected.size}` };
    const stored = head.ChecksumSHA256;
    if (stored && head.ChecksumType !== 'COMPOSITE' && !stored.includes('-')) {
      return stored === hexToBase64(expected.hash) ? { ok: true, versionId: versionOf(head.VersionId) } : OTHER_HASH;
    }
    const anyChecksum = head.ChecksumSHA256 ?? head.ChecksumCRC64NVME ?? head.ChecksumCRC32 ?? head.ChecksumCRC32C ?? head.ChecksumSHA1;
    if (!anyChecksum && !head.ETag?.includes('-')) storesChecksums = false;
  }
  let res;
  try {
    res = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key }));
  } catch (error) {
    if (isMissing(error)) return MISSING;
    throw error;
  }
  const body = res.Body as Readable;
  if (res.ContentLength !== expected.size) {
    body.destroy();
    return { ok: false, reason: `the uploaded object is ${res.ContentLength} bytes, not ${expected.size}` };
  }
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex') === expected.hash ? { ok: true, versionId: versionOf(res.VersionId) } : OTHER_HASH;
}

export async function deleteObject(key: string): Promise<void> {
  await s3Client().send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: key }));
}

export async function readObjectText(key: string, versionId?: string): Promise<string> {
  const res = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
  return (await res.Body?.transformToString('utf8')) ?? '';
}

export interface PartUrl {
  partNumber: number;
  size: number;
  url: string;
  headers: Record<string, string>;
}

/** Parts of one upload at most (S3 allows 10,000; fewer keep a plan's answer small). 5 TiB needs parts of 2.6 GiB. */
export const MAX_PARTS = 2000;

/** The configured part size, grown in whole MiB until the upload needs at most MAX_PARTS parts. */
export function partSizeFor(size: number): number {
  const mib = 1024 * 1024;
  return Math.max(config.syncPartSizeBytes, Math.ceil(size / MAX_PARTS / mib) * mib);
}

export const partCount = (size: number): number => Math.max(1, Math.ceil(size / partSizeFor(size)));

/** Starts a multipart upload and signs one URL per part (each signs its exact content-length). */
export async function presignMultipart(key: string, options: { contentType?: string; size: number }) {
  const { UploadId } = await s3Client().send(
    new CreateMultipartUploadCommand({ Bucket: config.bucketName, Key: key, ...(options.contentType ? { ContentType: options.contentType } : {}) }),
  );
  const uploadId = UploadId as string;
  const partSize = partSizeFor(options.size);
  const count = partCount(options.size);
  const parts: PartUrl[] = [];
  for (let partNumber = 1; partNumber <= count; partNumber++) {
    const size = partNumber < count ? partSize : options.size - partSize * (count - 1);
    const headers = { 'content-length': String(size) };
    const query = { 'x-id': 'UploadPart', partNumber: String(partNumber), uploadId };
    const url = await sign('PUT', key, query, headers, { signableHeaders: new Set(['content-length']) });
    parts.push({ partNumber, size, url, headers });
  }
  return { uploadId, partSize, parts, expiresAt: expiresAt() };
}

export async function completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void> {
  await s3Client().send(
    new CompleteMultipartUploadCommand({
      Bucket: config.bucketName,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
    }),
  );
}
