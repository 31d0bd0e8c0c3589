import { mkdirSync } from 'node:fs';
import S3rver, { type S3rverContext } from '@20minutes/s3rver';
import { freePort } from './dynamodb-local';
import { verifyChecksums } from './s3-checksums';
import { applyObjectWrites } from './s3-object-writes';

/** The local twins of DynamoDB and S3, started as the real things: DynamoDB Local (Java, dynamodb-local.ts) and s3rver. */

export interface RunningS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * S3's answer to a request on a private bucket without a signature (XML, as S3 writes it). s3rver
 * checks the signature of a signed request (a wrong one is SignatureDoesNotMatch or
 * InvalidAccessKeyId, both 403; an expired presigned URL is AccessDenied) but serves unsigned ones.
 */
const ACCESS_DENIED = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';

/** Header, SigV4 query (presigned URL) or SigV2 query: the three ways S3 accepts a signature. */
const isSigned = (ctx: S3rverContext): boolean =>
  ctx.headers.authorization !== undefined || 'X-Amz-Algorithm' in ctx.query || 'Signature' in ctx.query;

/**
 * s3rver (signature-checking fork) with the bucket created through its own configuration, private like
 * S3's, checking a declared SHA-256 of an upload and honouring `If-None-Match: *` and `x-amz-tagging`
 * on a PUT like S3.
 */
export async function startS3(options: { directory: string; bucket: string; port?: number }): Promise<RunningS3> {
  mkdirSync(options.directory, { recursive: true });
  const port = options.port ?? (await freePort());
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  // first in the chain, before routing: nothing unsigned reaches a bucket (CORS preflights stay open, as in S3);
  // then conditional writes and tags of a PUT (s3-object-writes.ts) and the SHA-256 check S3 makes on
  // uploads that declare one (s3-checksums.ts)
  server.middleware.unshift(
    async (ctx, next) => {
      if (ctx.method === 'OPTIONS' || isSigned(ctx)) return next();
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body = ACCESS_DENIED;
    },
    applyObjectWrites as never,
    verifyChecksums as never,
  );
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => server.close(),
  };
}
