import { config } from '../../kit/config';
import { AppError, isAwsError } from '../../kit/errors';
import { FairQueue } from '../../kit/fair-queue';
import { logger } from '../../kit/observability';
import { deleteBlob, getBlob, newBlobKey, putStream } from './blobs';
import { contentTypeOf, isTextItem, looksLikeText, MAX_INDEXED_CHARS } from './content';
import { expiryShard, finishPending, readEntry, type ItemEntry } from './store';
import { releaseFetchSlot } from './fetch-slots';
import { describeFetchError, fetchDeadline, openUrl } from './fetch-url';
import { embedChunks, indexedItem, itemsIndex } from './indexing';
import { expiryFor, nowSeconds, parseScopePk } from './scope';

/** How long a failed background fetch stays visible (status endpoint) before its marker expires. */
const FAILED_MARKER_SECONDS = 86400;

/**
 * Background fetches of one process (the stream consumer's invocation, or the local runtime): up to
 * `ingestConcurrency` at once, at most `ingestTenantConcurrency` of them for one tenant, so one
 * tenant's slow servers cannot delay another tenant's items.
 */
export const ingestQueue = new FairQueue(
  () => config.ingestConcurrency,
  () => config.ingestTenantConcurrency,
);

/**
 * Starts the background work of a pending item: fetching its `fileUrl`, or indexing bytes already
 * stored (text too long to embed within a request, large uploads). Locally it runs in this process;
 * in AWS the manifests stream consumer (items/on-manifests-change) runs `ingestPending` for the new entry.
 */
export function startIngestion(entry: ItemEntry): void {
  if (config.inLambda) return;
  ingestQueue
    .run(entry.tenant, () => ingestPending(entry))
    .catch((error: Error) => logger.error('background ingestion failed', { path: entry.sk, error }));
}

/**
 * Finishes a pending item: fetches its `fileUrl` (all SSRF checks again) and streams it to S3, or
 * reads the bytes already stored; then indexes its text and marks it ready, or marks it failed with
 * the reason (a failed item keeps no bytes). Only the generation that is still pending is finished:
 * one deleted, overwritten or finished meanwhile is left alone and our bytes removed. Whatever the
 * outcome, the item's background slot is freed. `deadline` ends a fetch (default: the configured
 * background time limit).
 */
export async function ingestPending(key: Pick<ItemEntry, 'pk' | 'sk'>, deadline = fetchDeadline(false)): Promise<void> {
  const ref = parseScopePk(key.pk);
  if (!ref) return;
  const entry = await readEntry(ref, key.sk);
  if (entry?.status !== 'pending' || !(entry.sourceUrl || entry.blobKey)) return;
  try {
    if (entry.sourceUrl) await finishItem(entry, newBlobKey(ref), fetchToStore(entry, deadline));
    else
      await finishItem(entry, entry.blobKey as string, async () => ({
        size: entry.size ?? 0,
        head: await getBlob(entry.blobKey as string, HEAD_BYTES),
        declared: entry.contentType,
      }));
  } finally {
    await releaseFetchSlot(ref.tenant, entry.itemId);
  }
}

/** Bytes of an item read for indexing: enough for MAX_INDEXED_CHARS characters of any UTF-8 text. */
const HEAD_BYTES = MAX_INDEXED_CHARS * 4;

interface Stored {
  size: number;
  /** The first HEAD_BYTES bytes. */
  head: Buffer;
  /** The content type the client or the fetched server named. */
  declared?: string;
}

/** Streams a pending item's `fileUrl` to a new key. */
function fetchToStore(entry: ItemEntry, deadline: AbortSignal) {
  return async (blobKey: string): Promise<Stored> => {
    const opened = await openUrl(entry.sourceUrl as string, deadline);
    const declared = entry.contentType ?? opened.contentType;
    const { size, head } = await putStream(
      blobKey,
      opened.body,
      declared ?? 'application/octet-stream',
      config.fetchMaxBytes,
      HEAD_BYTES,
    ).catch(
      // S3's own failures are ours, not the fetched server's: they stay raw for the log below
      (error: unknown) => Promise.reject(isAwsError(error) ? error : describeFetchError(error, new URL(opened.url), opened.signal)),
    );
    return { size, head, declared };
  };
}

/** Stores (`store` puts the bytes at `blobKey`), indexes and marks a pending item ready, or failed. */
async function finishItem(entry: ItemEntry, blobKey: string, store: (blobKey: string) => Promise<Stored>): Promise<void> {
  const ref = { tenant: entry.tenant, scope: entry.scope, scopeId: entry.scopeId };
  let indexed = false;
  try {
    const { size, head, declared } = await store(blobKey);
    const contentType = contentTypeOf(entry.sk, declared, head);
    const chunks = isTextItem(contentType, head) ? await embedChunks(entry.sk, new TextDecoder().decode(head)) : [];
    const expiresAt = expiryFor(ref.scope);
    const ready: Partial<ItemEntry> = {
      status: 'ready',
      blobKey,
      size,
      contentType,
      binary: !looksLikeText(head),
      chunks: chunks.length,
      ...(expiresAt === undefined ? {} : { expiresAt, expiryShard: expiryShard(entry.itemId) }),
    };
    if (chunks.length) {
      await (await itemsIndex()).putItem(indexedItem({ ...entry, ...ready } as ItemEntry), chunks);
      indexed = true;
    }
    const finished = await finishPending(entry, ready, expiresAt === undefined ? ['sourceUrl', 'expiresAt', 'expiryShard'] : ['sourceUrl']);
    if (!finished) throw new Error('superseded');
  } catch (error) {
    await deleteBlob(blobKey).catch(() => undefined);
    if (indexed) await (await itemsIndex()).deleteItem(entry.itemId).catch(() => undefined);
    if ((error as Error).message === 'superseded') return;
    await finishPending(
      entry,
      {
        status: 'failed',
        error: failureReason(entry, error),
        expiresAt: Math.ceil(nowSeconds() + FAILED_MARKER_SECONDS),
        expiryShard: expiryShard(entry.itemId),
      },
      entry.blobKey ? ['blobKey'] : [],
    );
  }
}

/**
 * What the status endpoint tells the client: the fetch's own refusals and failures as they are;
 * anything else (S3, the embedder, the vector index) is logged in full and stored as a safe message.
 */
function failureReason(entry: ItemEntry, error: unknown): string {
  if (error instanceof AppError && error.status < 500) return error.message;
  logger.error('background ingestion failed', { path: entry.sk, itemId: entry.itemId, error: error as Error });
  return 'The item could not be stored or indexed (an internal error); add it again';
}
