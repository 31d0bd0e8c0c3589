import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { s3Client } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';

// The local object store honours what S3 does with a PutObject's `If-None-Match: *` and
// `x-amz-tagging` (local/s3-object-writes.ts): direct puts of workspace sync rely on both; and a
// PutObjectTagging that clears the tags (what a confirm sends per file, answered by the same module)
// behaves as S3's.

const tagsOf = async (Key: string) =>
  ((await s3Client().send(new GetObjectTaggingCommand({ Bucket: config.bucketName, Key }))).TagSet ?? []).map((t) => `${t.Key}=${t.Value}`);
const putObject = (Key: string, Body: string, options: { IfNoneMatch?: string; Tagging?: string } = {}) =>
  s3Client().send(new PutObjectCommand({ Bucket: config.bucketName, Key, Body, ...options }));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'stored',
    (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${error.$metadata?.httpStatusCode} ${error.name}`,
  );

describe('local object store: conditional and tagged puts', () => {
  const prefix = `sync/t-${randomUUID().slice(0, 8)}/`;

  it('stores an object with If-None-Match: * only where the key holds none (412 PreconditionFailed after)', async () => {
    const key = `${prefix}once`;
    await putObject(key, 'first', { IfNoneMatch: '*' });
    expect(await failure(putObject(key, 'second', { IfNoneMatch: '*' }))).toBe('412 PreconditionFailed');
    const got = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key }));
    expect(await got.Body?.transformToString()).toBe('first');
  });

  it('lets one of several conditional puts of a key at once store it; the others are refused', async () => {
    const key = `${prefix}raced`;
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => failure(putObject(key, `writer ${i}`, { IfNoneMatch: '*' }))));
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'stored').every((o) => /^(412 PreconditionFailed|409 ConditionalRequestConflict)$/.test(o))).toBe(
      true,
    );
  });

  it("tags the new object with x-amz-tagging; a put without it leaves no tags (not even a deleted object's)", async () => {
    const key = `${prefix}tagged`;
    await putObject(key, 'bytes', { Tagging: 'satchel-upload=unconfirmed' });
    expect(await tagsOf(key)).toEqual(['satchel-upload=unconfirmed']);
    await s3Client().send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: key }));
    await putObject(key, 'new bytes');
    expect(await tagsOf(key)).toEqual([]);
  });

  it('clears the tags of an object with PutObjectTagging, from the SDK and from sync; a missing object is NoSuchKey', async () => {
    const { putObjectTags } = await import('../../../lambdas/sync/service/object-tagging');
    const key = `${prefix}cleared`;
    await putObject(key, 'bytes', { Tagging: 'satchel-upload=unconfirmed' });
    await putObjectTags(key, []);
    expect(await tagsOf(key)).toEqual([]);
    await putObjectTags(key, []);
    expect(await tagsOf(key)).toEqual([]);
    await s3Client().send(
      new PutObjectTaggingCommand({ Bucket: config.bucketName, Key: key, Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }),
    );
    expect(await tagsOf(key)).toEqual(['a=b']);
    await s3Client().send(new PutObjectTaggingCommand({ Bucket: config.bucketName, Key: key, Tagging: { TagSet: [] } }));
    expect(await tagsOf(key)).toEqual([]);
    await putObjectTags(key, [{ key: 'satchel-upload', value: 'unconfirmed' }]);
    expect(await tagsOf(key)).toEqual(['satchel-upload=unconfirmed']);
    const got = await s3Client().send(new GetObjectCommand({ Bucket: config.bucketName, Key: key }));
    expect(await got.Body?.transformToString()).toBe('bytes');
    await expect(putObjectTags(`${prefix}never-stored`, [])).rejects.toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(
      await failure(
        s3Client().send(new PutObjectTaggingCommand({ Bucket: config.bucketName, Key: `${prefix}never`, Tagging: { TagSet: [] } })),
      ),
    ).toBe('404 NoSuchKey');
  });

  it('refuses a tag-clearing request signed with another secret, and leaves the tags', async () => {
    const key = `${prefix}forged`;
    await putObject(key, 'bytes', { Tagging: 'satchel-upload=unconfirmed' });
    const forger = new S3Client({
      region: config.region,
      endpoint: config.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' },
    });
    const outcome = await failure(
      forger.send(new PutObjectTaggingCommand({ Bucket: config.bucketName, Key: key, Tagging: { TagSet: [] } })),
    );
    forger.destroy();
    expect(outcome).toBe('403 SignatureDoesNotMatch');
    expect(await tagsOf(key)).toEqual(['satchel-upload=unconfirmed']);
  });
});
