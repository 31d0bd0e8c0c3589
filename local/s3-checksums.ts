import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** The parts of s3rver's Koa context this middleware uses. */
export interface S3rverContext {
  method: string;
  req: IncomingMessage | Readable;
  get(header: string): string;
  status: number;
  type: string;
  body: unknown;
}

const BAD_DIGEST =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code>' +
  '<Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>';

/**
 * What S3 does and the emulator does not: a PUT of an object or a part that carries
 * `x-amz-checksum-sha256` is stored only when its bytes have that SHA-256 (otherwise 400
 * BadDigest), and an upload cut short stores nothing. The body is read whole before the emulator
 * sees it, which also keeps the emulator from writing half an object over a stored one.
 */
export async function verifyChecksums(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
  const declared = ctx.get('x-amz-checksum-sha256');
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
  return next();
}
