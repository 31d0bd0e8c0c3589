import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from '../../lambdas/kit/aws';
import { config } from '../../lambdas/kit/config';

// The local object store must behave like the private bucket it stands for: S3 refuses unsigned and
// wrongly signed requests with 403, so a test passing here cannot rely on an open bucket.

const endpoint = () => config.s3Endpoint as string;
const objectUrl = (key: string) => `${endpoint()}/${config.bucketName}/${key}`;

let key: string;
beforeAll(async () => {
  key = `deployments/t-${randomUUID().slice(0, 8)}/dep_aaaaaaaaaaaaaaaaaaaa/secret.txt`;
  await s3Client().send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: 'tenant data' }));
});

const read = async () => {
  const got = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key }));
  return got.Body!.transformToString();
};

describe('local object store: a private bucket', () => {
  it.each([
    ['GET an object', 'GET', () => objectUrl(key)],
    ['HEAD an object', 'HEAD', () => objectUrl(key)],
    ['list the bucket', 'GET', () => `${endpoint()}/${config.bucketName}?list-type=2`],
    ['list the buckets', 'GET', () => `${endpoint()}/`],
    ['DELETE an object', 'DELETE', () => objectUrl(key)],
  ])('refuses an unsigned request to %s with 403', async (_what, method, url) => {
    const res = await fetch(url(), { method });
    expect(res.status).toBe(403);
    if (method !== 'HEAD') expect(await res.text()).toMatch(/<Code>AccessDenied<\/Code>/);
    expect(await read()).toBe('tenant data');
  });

  it('refuses an unsigned PUT and keeps the object as it was', async () => {
    const res = await fetch(objectUrl(key), { method: 'PUT', body: 'overwritten' });
    expect(res.status).toBe(403);
    expect(await read()).toBe('tenant data');
  });

  it('refuses a presigned URL whose signature was altered, or signed with a key it does not know', async () => {
    const url = await getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: config.bucketName, Key: key }), { expiresIn: 60 });
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    expect((await fetch(tampered)).status).toBe(403);
    const otherKey = url.replace(key, key.replace('secret.txt', 'other.txt'));
    expect((await fetch(otherKey)).status).toBe(403);
    const stranger = new S3Client({
      endpoint: endpoint(),
      region: config.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'STRANGER', secretAccessKey: 'nope' },
    });
    const strangerUrl = await getSignedUrl(stranger, new GetObjectCommand({ Bucket: config.bucketName, Key: key }), { expiresIn: 60 });
    expect((await fetch(strangerUrl)).status).toBe(403);
    await expect(stranger.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: 'x' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    stranger.destroy();
    expect(await read()).toBe('tenant data');
  });

  it('serves presigned URLs and SDK-signed requests', async () => {
    const url = await getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: config.bucketName, Key: key }), { expiresIn: 60 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('tenant data');
    const putUrl = await getSignedUrl(s3Client(), new PutObjectCommand({ Bucket: config.bucketName, Key: `${key}.copy` }), {
      expiresIn: 60,
    });
    expect((await fetch(putUrl, { method: 'PUT', body: 'copy' })).status).toBe(200);
  });
});
