import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/core/protocols';

/**
 * Presign answers in AWS: URLs signed with a Lambda role's temporary credentials carry its session
 * token (~2 KB per URL), which local URLs lack. Signed here with such credentials against the AWS
 * endpoint (no emulator; S3 answers are scripted), the largest answers must stay under the byte
 * budget and Lambda's 6 MB response limit, and a call that would pass it is refused before any
 * upload is started.
 */
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function loadPresign() {
  const saved = { ...process.env };
  delete process.env.SATCHEL_S3_ENDPOINT;
  delete process.env.SATCHEL_S3_PUBLIC_ENDPOINT;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE12',
    AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
    // the size of a Lambda execution role's session token, with the characters URLs must escape
    AWS_SESSION_TOKEN: randomBytes(1000).toString('base64'),
    BUCKET_NAME: 'satchel-data-123456789012-us-east-1',
  });
  const sent: string[] = [];
  let presign!: typeof import('../../../../../lambdas/sync/service/workspace').presign;
  jest.isolateModules(() => {
    const { s3Client } = require('../../../../../lambdas/kit/aws') as typeof import('../../../../../lambdas/kit/aws');
    ({ presign } =
      require('../../../../../lambdas/sync/service/workspace') as typeof import('../../../../../lambdas/sync/service/workspace'));
    s3Client().config.requestHandler = {
      handle: async (request: HttpRequest) => {
        sent.push(`${request.method} ${Object.keys(request.query ?? {}).join(',')}`);
        const uploadId = `${randomBytes(60).toString('base64url')}.${randomBytes(40).toString('base64url')}`;
        const body = `<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`;
        return {
          response: new HttpResponse({
            statusCode: 200,
            headers: { 'content-type': 'application/xml' },
            body: Readable.from([Buffer.from(body)]),
          }),
        };
      },
    } as never;
  });
  return { presign, sent, restore: () => (process.env = saved) };
}

/** The Lambda proxy response API Gateway receives: the JSON body escaped inside a JSON string. */
const lambdaResponseBytes = (data: unknown) =>
  Buffer.byteLength(JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data }) }));

describe('presign answers stay under the response budget with temporary credentials', () => {
  const agent = { tenant: 't-0123456789abcdef', agentId: `agt_${'a'.repeat(60)}` };
  const longPath = (i: number) => `${String(i).padStart(4, '0')}/${'p'.repeat(1017)}`;

  it('1,000 puts of 1,022-byte paths, and one 5 TiB multipart upload of 2,000 parts', async () => {
    const { presign, sent, restore } = loadPresign();
    try {
      const puts = Array.from({ length: 1000 }, (_, i) => ({
        path: longPath(i),
        operation: 'put' as const,
        hash: sha(String(i)),
        size: 4096,
      }));
      const answer = await presign(agent, puts);
      const first = answer.urls[0] as { url: string };
      expect(first.url).toMatch(/X-Amz-Security-Token=/);
      expect(first.url.length).toBeGreaterThan(1800);
      expect(Buffer.byteLength(JSON.stringify({ data: answer }))).toBeLessThanOrEqual(5.5 * 1024 * 1024);
      expect(lambdaResponseBytes(answer)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);

      const size = 5 * 1024 ** 4;
      const partSize = Math.ceil(size / 2000 / 2 ** 20) * 2 ** 20;
      const parts = Math.ceil(size / partSize);
      const multipart = await presign(agent, [
        {
          path: longPath(1),
          operation: 'multipart',
          hash: sha('big'),
          size,
          partSize,
          partHashes: Array.from({ length: parts }, (_, i) => sha(`part ${i}`)),
        },
      ]);
      expect((multipart.urls[0] as { parts: unknown[] }).parts).toHaveLength(parts);
      expect(lambdaResponseBytes(multipart)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      expect(sent).toEqual(['POST uploads']);
    } finally {
      restore();
    }
  });

  it('refuses a call whose answer could pass the budget before starting any upload', async () => {
    const { presign, sent, restore } = loadPresign();
    try {
      const big = (path: string) => ({ path, operation: 'multipart' as const, hash: sha(path), size: 5 * 1024 ** 4 });
      await expect(presign(agent, [big('a'), big('b')])).rejects.toMatchObject({
        status: 400,
        message: expect.stringMatching(/presign fewer files per call/),
      });
      const puts = Array.from({ length: 1000 }, (_, i) => ({ path: longPath(i), operation: 'put' as const }));
      await expect(presign(agent, [...puts.slice(0, 600), big('c')])).rejects.toMatchObject({ status: 400 });
      expect(sent).toEqual([]);
    } finally {
      restore();
    }
  });
});
