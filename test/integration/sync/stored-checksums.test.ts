import { createHash, randomUUID } from 'node:crypto';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { presignPut } from '../../../lambdas/sync/service/objects';

// The local object store keeps the SHA-256 it checked on a put, as S3 does, so confirm checks an
// upload with a HEAD here too instead of reading its bytes (local/s3-checksums.ts).

const sha256 = (bytes: string) => createHash('sha256').update(bytes).digest();
const head = (Key: string, checksums: boolean) =>
  s3Client().send(new HeadObjectCommand({ Bucket: config.bucketName, Key, ...(checksums ? { ChecksumMode: 'ENABLED' as const } : {}) }));

async function put(key: string, body: string, options: { hash?: boolean; headers?: Record<string, string> } = {}) {
  const signed = await presignPut(key, options.hash ? { hash: sha256(body).toString('hex'), size: Buffer.byteLength(body) } : {});
  const res = await fetch(signed.url, { method: 'PUT', headers: { ...signed.headers, ...options.headers }, body });
  expect(res.status).toBe(200);
}

describe('local object store: stored SHA-256 of uploads', () => {
  const prefix = `incoming/t-${randomUUID().slice(0, 8)}/`;

  it('answers a checksum-mode HEAD or GET with the SHA-256 a put declared, and only then', async () => {
    const key = `${prefix}hashed`;
    await put(key, 'hello world', { hash: true });
    const asked = await head(key, true);
    expect([asked.ChecksumSHA256, asked.ChecksumType]).toEqual([sha256('hello world').toString('base64'), 'FULL_OBJECT']);
    expect(asked.Metadata).toEqual({});
    const plain = await head(key, false);
    expect([plain.ChecksumSHA256, plain.Metadata]).toEqual([undefined, {}]);
    const got = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key, ChecksumMode: 'ENABLED' }));
    expect(await got.Body?.transformToString()).toBe('hello world');
    expect(got.ChecksumSHA256).toBe(sha256('hello world').toString('base64'));
  });

  it('keeps no SHA-256 for a put without one, whatever metadata the client sends', async () => {
    const key = `${prefix}plain`;
    const forged = sha256('other bytes').toString('base64');
    await put(key, 'hello world', { headers: { 'x-amz-meta-satchel-checksum-sha256': forged } });
    const asked = await head(key, true);
    expect([asked.ChecksumSHA256, asked.Metadata]).toEqual([undefined, {}]);
  });

  it('keeps the SHA-256 with a copy, as S3 copies an object with its checksum', async () => {
    const from = `${prefix}source`;
    const to = `${prefix}copy`;
    await put(from, 'copied bytes', { hash: true });
    await s3Client().send(new CopyObjectCommand({ Bucket: config.bucketName, Key: to, CopySource: `${config.bucketName}/${from}` }));
    expect((await head(to, true)).ChecksumSHA256).toBe(sha256('copied bytes').toString('base64'));
  });
});
