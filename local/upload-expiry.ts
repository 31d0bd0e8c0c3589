import { DeleteObjectCommand, GetObjectTaggingCommand, ListObjectsCommand, type _Object } from '@aws-sdk/client-s3';
import { unconfirmedUploadRules, type ObjectTag } from '../lambdas/kit/data-model';
import { s3Client } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';

const DAY_MS = 86400 * 1000;

/** When S3's lifecycle removes an object: its creation plus the rule's days, rounded up to the next midnight UTC. */
const expiryOf = (created: Date, days: number) => Math.ceil((created.getTime() + days * DAY_MS) / DAY_MS) * DAY_MS;

/**
 * The objects under a prefix, listed with markers (ListObjects v1): s3rver encrypts ListObjectsV2
 * continuation tokens with DES, which Node's OpenSSL 3 refuses without --openssl-legacy-provider, so
 * a v2 listing of more than 1,000 keys answered InternalError. The SDK signs a bucket's path with a
 * trailing slash (`/<bucket>/`) and the emulator checks the signature without it, so the list request
 * drops the slash first.
 */
export async function listObjects(prefix: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let marker: string | undefined;
  let truncated: boolean | undefined;
  do {
    const command = new ListObjectsCommand({ Bucket: config.bucketName, Prefix: prefix, Marker: marker });
    command.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string };
        if (request.path?.endsWith('/')) request.path = request.path.slice(0, -1);
        return next(args);
      },
      { step: 'build' },
    );
    const page = await s3Client().send(command);
    const contents = page.Contents ?? [];
    objects.push(...contents);
    truncated = page.IsTruncated && contents.length > 0;
    marker = contents.at(-1)?.Key;
  } while (truncated);
  return objects;
}

async function carries(key: string, tag: ObjectTag): Promise<boolean> {
  const { TagSet } = await s3Client().send(new GetObjectTaggingCommand({ Bucket: config.bucketName, Key: key }));
  return (TagSet ?? []).some((t) => t.Key === tag.key && t.Value === tag.value);
}

/**
 * What the bucket's lifecycle rules for unconfirmed uploads do in AWS (lambdas/kit/data-model.ts), for the
 * local emulator, which has no lifecycle: removes staged uploads, and objects still tagged
 * unconfirmed, once their rule's days have passed at `now` (of one tenant only when given: every
 * family keeps the tenant right after its prefix). Returns the keys removed.
 */
export async function expireUnconfirmedUploads(options: { now?: Date; tenant?: string } = {}): Promise<string[]> {
  const now = options.now ?? new Date();
  const removed: string[] = [];
  for (const rule of unconfirmedUploadRules()) {
    for (const object of await listObjects(rule.prefix + (options.tenant ? `${options.tenant}/` : ''))) {
      if (!object.Key || !object.LastModified || expiryOf(object.LastModified, rule.expirationDays ?? Infinity) > now.getTime()) continue;
      if (rule.tag && !(await carries(object.Key, rule.tag))) continue;
      await s3Client().send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: object.Key }));
      removed.push(object.Key);
    }
  }
  return removed;
}
