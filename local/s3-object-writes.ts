import { Readable } from 'node:stream';
import authentication from '@20minutes/s3rver/lib/middleware/authentication';
import type { S3rverContext } from './s3-checksums';

/** The part of s3rver's filesystem store this middleware uses (on every Koa context as `store`). */
interface S3rverStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
  putSubresource(bucket: string, key: string, resource: { type: string; toXML(space?: number): string }): Promise<void>;
  deleteSubresource(bucket: string, key: string, type: string): Promise<void>;
}

type WriteContext = S3rverContext & {
  path: string;
  query: Record<string, unknown>;
  store: S3rverStore;
  params?: Record<string, string>;
};

const xmlError = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** `x-amz-tagging` (URL-encoded `k=v&…`) as the tagging document s3rver keeps beside an object. */
function taggingDocument(header: string) {
  const tags = [...new URLSearchParams(header)].map(
    ([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`,
  );
  return { type: 'tagging', toXML: () => `<Tagging><TagSet>${tags.join('')}</TagSet></Tagging>` };
}

/** Keys with a conditional PUT under way: a second one at once is refused, as S3 does (409). */
const writing = new Set<string>();

/**
 * What S3 does on a PutObject and s3rver does not: `If-None-Match: *` stores the object only when
 * the key holds none (412 PreconditionFailed otherwise; 409 ConditionalRequestConflict while another
 * conditional PUT of the key is under way), and `x-amz-tagging` tags the new object (a new object
 * without it has no tags: s3rver leaves a deleted object's tags behind). Copies, parts and
 * subresources pass through unchanged.
 */
export async function applyObjectWrites(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
  const c = ctx as WriteContext;
  const [, bucket, ...rest] = c.path.split('/');
  const key = rest.map(decodeURIComponent).join('/');
  if (c.method === 'PUT' && key !== '' && 'tagging' in c.query && !('versionId' in c.query)) return putTagging(c, bucket, key, next);
  const isObjectPut =
    c.method === 'PUT' &&
    key !== '' &&
    !c.get('x-amz-copy-source') &&
    Object.keys(c.query).every((q) => q.startsWith('X-Amz-') || q === 'x-id');
  if (!isObjectPut) return next();
  const exclusive = c.get('if-none-match') === '*';
  const id = `${bucket}/${key}`;
  if (exclusive) {
    if (writing.has(id))
      return refuse(
        c,
        409,
        'ConditionalRequestConflict',
        'A conflicting conditional operation is currently in progress against this resource.',
      );
    // taken before the first await: a second conditional PUT arriving meanwhile must see it
    writing.add(id);
  }
  try {
    if (exclusive && (await c.store.existsObject(bucket, key))) {
      return refuse(c, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    await next();
  } finally {
    if (exclusive) writing.delete(id);
  }
  if (c.status !== 200) return;
  const tagging = c.get('x-amz-tagging');
  if (tagging) await c.store.putSubresource(bucket, key, taggingDocument(tagging));
  else await c.store.deleteSubresource(bucket, key, 'tagging');
}

function refuse(ctx: WriteContext, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = xmlError(code, message);
}

const checkSignature = authentication();

/** A PutObjectTagging body that names no tag (what a sync confirm sends for every file). */
const EMPTY_TAG_SET = /^\s*(<\?xml[^>]*\?>)?\s*<Tagging(\s+xmlns="[^"]*")?\s*>\s*(<TagSet\s*\/>|<TagSet>\s*<\/TagSet>)\s*<\/Tagging>\s*$/;

/**
 * PutObjectTagging that removes every tag, answered here after s3rver's own signature check: the
 * object's tagging document is removed (s3rver answers a GetObjectTagging without one with no tags,
 * as S3 does), a missing object is NoSuchKey. s3rver would route the request, parse and validate the
 * XML and write an empty document: about twice the CPU, on the emulator's one thread, for each file a
 * sync confirm takes. Any other tag set goes on to s3rver.
 */
async function putTagging(c: WriteContext, bucket: string, key: string, next: () => Promise<void>): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of c.req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  c.req = Readable.from([body]);
  if (!EMPTY_TAG_SET.test(body.toString('utf8'))) return next();
  c.params = { bucket, key };
  await checkSignature(c, async () => {
    if (!(await c.store.existsObject(bucket, key))) return refuse(c, 404, 'NoSuchKey', 'The specified key does not exist.');
    await c.store.deleteSubresource(bucket, key, 'tagging');
    c.status = 200;
    c.body = '';
  });
}
