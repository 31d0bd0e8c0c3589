import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HttpRequest, type HttpResponse } from '@smithy/core/protocols';
import { s3Client } from '../../kit/aws';
import type { ObjectTag } from '../../kit/data-model';
import { backoff } from '../../shared/time';
import { bucketAddress, encodeKey, hostOf } from './bucket-address';

/**
 * PutObjectTagging without the SDK's command stack. A confirm of 2,000 direct puts makes this one
 * request per file; through the SDK each cost the function ~1.4 ms of CPU (endpoint rules, schema
 * serialisation, checksum and retry middleware) against ~0.2 ms here. What the stack did is done
 * here with the client's own pieces: its SigV4 signer (its credentials, a Lambda role's session
 * token included, and region), its HTTP handler (keep-alive sockets), the bucket's address as the
 * functions reach it (never SATCHEL_S3_PUBLIC_ENDPOINT); plus the Content-MD5 S3 requires on this
 * operation, retries of 5xx and throttling answers, and S3's XML error as an error named by its code.
 */

/** Attempts per request, as the SDK's standard retry mode. */
const ATTEMPTS = 3;
const RETRY_PACING = { baseMs: 100, capMs: 20000 };
/** Answers S3 gives with a status below 500 that a retry can cure. */
const RETRYABLE_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeoutException']);

/** An S3 error answer: `name` is S3's code (NoSuchKey, AccessDenied, …), as the SDK names its errors. */
export class S3RequestError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function taggingBody(tags: ObjectTag[]): string {
  const set = tags.map((t) => `<Tag><Key>${escapeXml(t.key)}</Key><Value>${escapeXml(t.value)}</Value></Tag>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${set}</TagSet></Tagging>`;
}

/** `<Code>` and `<Message>` of S3's XML error document (entities left as sent: codes have none). */
function parseError(status: number, xml: string): S3RequestError {
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const code = field('Code') ?? (status === 404 ? 'NotFound' : `Http${status}`);
  return new S3RequestError(code, field('Message') ?? `S3 answered ${status}`, status);
}

async function readText(body: unknown): Promise<string> {
  if (!body) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const retryable = (error: unknown) =>
  !(error instanceof S3RequestError) || error.status >= 500 || error.status === 429 || RETRYABLE_CODES.has(error.name);

async function attempt(key: string, body: string): Promise<void> {
  const client = s3Client();
  const address = await bucketAddress();
  const request = new HttpRequest({
    method: 'PUT',
    protocol: address.protocol,
    hostname: address.hostname,
    port: address.port,
    path: address.pathPrefix + encodeKey(key),
    query: { tagging: '' },
    headers: {
      host: hostOf(address),
      'content-type': 'application/xml',
      'content-length': String(Buffer.byteLength(body)),
      'content-md5': createHash('md5').update(body).digest('base64'),
    },
    body,
  });
  const signed = await (await client.config.signer()).sign(request);
  const { response } = (await client.config.requestHandler.handle(signed as HttpRequest)) as { response: HttpResponse };
  const text = await readText(response.body);
  if (response.statusCode < 200 || response.statusCode >= 300) throw parseError(response.statusCode, text);
}

/** Replaces an object's tags (none: `[]`). A missing object is an S3RequestError named NoSuchKey. */
export async function putObjectTags(key: string, tags: ObjectTag[]): Promise<void> {
  const body = taggingBody(tags);
  for (let i = 1; ; i++) {
    try {
      return await attempt(key, body);
    } catch (error) {
      if (i >= ATTEMPTS || !retryable(error)) throw error;
      await backoff(i - 1, RETRY_PACING);
    }
  }
}
