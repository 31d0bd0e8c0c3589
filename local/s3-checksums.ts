import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** The parts of s3rver's Koa context this middleware uses. */
export interface S3rverContext {
  method: string;
  req: IncomingMessage | Readable;
  request: { headers: Record<string, string | string[] | undefined> };
  response: { get(header: string): string; remove(header: string): void };
  get(header: string): string;
  set(header: string, value: string): void;
  status: number;
  type: string;
  body: unknown;
}

const BAD_DIGEST =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code>' +
  '<Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>';

/** Where the emulator keeps a checked SHA-256: object metadata, which it stores and copies with the object. */
const STORED_CHECKSUM = 'x-amz-meta-satchel-checksum-sha256';

/**
 * What S3 does and the emulator does not: a PUT of an object or a part that carries
 * `x-amz-checksum-sha256` is stored only when its bytes have that SHA-256 (otherwise 400
 * BadDigest), and an upload cut short stores nothing. The body is read whole before the emulator
 * sees it, which also keeps the emulator from writing half an object over a stored one. The
 * checked SHA-256 is kept with the object, and a GET or HEAD that asks for checksums
 * (`x-amz-checksum-mode: ENABLED`) gets it back as S3 answers it, so a confirm checks an upload
 * without reading its bytes here as it does in AWS.
 */
export async function verifyChecksums(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return answerChecksum(ctx, next);
  const declared = ctx.get('x-amz-checksum-sha256');
  delete ctx.request.headers[STORED_CHECKSUM];
  if (ctx.method !== 'PUT' || !declared || ctx.get('x-amz-content-sha256').startsWith('STREAMING-')) return next();
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (createHash('sha256').update(body).digest('base64') !== declared) {
    ctx.status = 400;
    ctx.type = 'application/xml';
    ctx.body = BAD_DIGEST;
    return;
  }
  ctx.req = Readable.from([body]);
  ctx.request.headers[STORED_CHECKSUM] = declared;
  return next();
}

async function answerChecksum(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
  await next();
  const stored = ctx.response.get(STORED_CHECKSUM);
  if (!stored) return;
  ctx.response.remove(STORED_CHECKSUM);
  if (ctx.get('x-amz-checksum-mode').toUpperCase() !== 'ENABLED') return;
  ctx.set('x-amz-checksum-sha256', stored);
  ctx.set('x-amz-checksum-type', 'FULL_OBJECT');
}
