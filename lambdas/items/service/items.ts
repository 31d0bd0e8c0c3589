import { randomUUID } from 'node:crypto';
import type { AuthContext } from '../../kit/auth-context';
import { config } from '../../kit/config';
import { badRequest, isMissingObject, tooLarge } from '../../kit/errors';
import { logger } from '../../kit/observability';
import { copyBlob, deleteBlob, getBlob, newBlobKey, presignGet, putBlob } from './blobs';
import { chunkText, contentTypeOf, isTextItem, looksLikeText } from './content';
import {
  deleteEntry,
  entriesAt,
  entryKey,
  expiryShard,
  liveEntry,
  listEntries,
  moveEntry,
  putEntry,
  readEntry,
  type ItemEntry,
} from './store';
import { itemExists, itemNotFound } from './errors';
import { fetchDeadline, openUrl, readCapped } from './fetch-url';
import { discard, embedTexts, findHits, indexedItem, itemsIndex } from './indexing';
import { claimFetchSlot, releaseFetchSlot } from './fetch-slots';
import { startIngestion } from './ingest';
import { itemPath, pathPrefix } from './paths';
import { expiryFor, isLive, nowSeconds, resolveScope, type ScopeRef } from './scope';
import { claimUpload, releaseUpload } from './uploads';
import type { ItemSummary } from '../../contracts/items';
import type { VectorHit } from '../../adapters/vector-index/port';

/**
 * Scoped workspace items with TTLs and vector search (seed 003). Entries live in the manifests
 * table (./entries.ts), bytes in S3 (./blobs.ts), chunk vectors in the vector index port.
 */
export const INLINE_MAX_BYTES = 1024 * 1024;
const METADATA_MAX_BYTES = 16 * 1024;
/** A pending background fetch gives up its path after the fetch time limit plus this margin. */
const PENDING_GRACE_SECONDS = 3600;
const summary = (entry: ItemEntry): ItemSummary => ({
  path: entry.sk,
  contentType: entry.contentType ?? 'application/octet-stream',
  size: entry.size ?? 0,
  createdAt: entry.createdAt,
  expiresAt: entry.expiresAt === undefined ? null : new Date(entry.expiresAt * 1000).toISOString(),
  metadata: entry.metadata ?? {},
});

/** Expiry fields of an entry written now: both or neither (the sparse index needs both). */
function expiryFields(scope: ScopeRef['scope'], itemId: string): Pick<ItemEntry, 'expiresAt' | 'expiryShard'> {
  const expiresAt = expiryFor(scope);
  return expiresAt === undefined ? {} : { expiresAt, expiryShard: expiryShard(itemId) };
}

// ---- list / get ----

/** JSON bytes of a whole listing (Lambda answers at most 6 MB, the envelope included). */
const LIST_BUDGET_BYTES = 5 * 1024 * 1024;

/**
 * Items of a scope in path order. With `limit` or `cursor` a page (default 100) and `nextCursor`;
 * without either, as seed 003 clients call it, every item, or a 413 when they do not fit one
 * answer, never a first page that looks complete.
 */
export async function listItems(
  auth: AuthContext,
  query: { scope?: string; scopeId?: string; prefix?: string; limit?: number; cursor?: string },
) {
  const ref = resolveScope(auth, query.scope, query.scopeId);
  const prefix = pathPrefix(query.prefix);
  if (query.limit !== undefined || query.cursor !== undefined) {
    const page = await listEntries(ref, prefix, query.limit ?? 100, query.cursor);
    return { items: page.entries.map(summary), ...(page.cursor ? { nextCursor: page.cursor } : {}) };
  }
  const items: ItemSummary[] = [];
  let used = 0;
  let cursor: string | undefined;
  do {
    const page = await listEntries(ref, prefix, 1000, cursor);
    for (const item of page.entries.map(summary)) {
      used += Buffer.byteLength(JSON.stringify(item)) + 1;
      if (used > LIST_BUDGET_BYTES)
        throw tooLarge('The items do not fit one answer: send `limit` (and then each `nextCursor` as `cursor`) to read them in pages');
      items.push(item);
    }
    cursor = page.cursor;
  } while (cursor);
  return { items };
}

export async function getItem(auth: AuthContext, query: { scope?: string; scopeId?: string; itemPath?: string }) {
  const ref = resolveScope(auth, query.scope, query.scopeId);
  const entry = await liveEntry(ref, itemPath(query.itemPath));
  const encoding = entry.binary ? ('base64' as const) : ('utf8' as const);
  const base = { ...summary(entry), encoding };
  if ((entry.size ?? 0) > INLINE_MAX_BYTES) return { ...base, content: null, downloadUrl: await presignGet(entry.blobKey as string) };
  // a concurrent move or delete can take the bytes between reading the entry and reading them
  const bytes = await getBlob(entry.blobKey as string).catch(missingAs(itemNotFound(entry.sk)));
  return { ...base, content: bytes.toString(encoding === 'base64' ? 'base64' : 'utf8') };
}

export async function itemStatus(auth: AuthContext, query: { scope?: string; scopeId?: string; itemPath?: string }) {
  const ref = resolveScope(auth, query.scope, query.scopeId);
  const path = itemPath(query.itemPath);
  const entry = await readEntry(ref, path);
  if (!entry || !isLive(entry.expiresAt)) throw itemNotFound(path);
  return {
    path,
    status: entry.status,
    ...(entry.status === 'ready' ? { contentType: entry.contentType, size: entry.size, indexedChunks: entry.chunks ?? 0 } : {}),
    ...(entry.error ? { error: entry.error } : {}),
  };
}

// ---- add ----

export interface AddInput {
  scope?: string;
  scopeId?: string;
  itemPath?: string;
  content?: string;
  encoding?: 'utf8' | 'base64';
  fileUrl?: string;
  /** An upload made with POST /api/workspace/items/uploads (extension of seed 003). */
  upload?: { id?: string };
  metadata?: Record<string, unknown>;
}

interface ItemOptions {
  contentType?: string;
  metadata: Record<string, unknown>;
  overwrite: boolean;
}

/** `metadata.contentType` names the type, `metadata.overwrite: true` replaces an existing item; the rest is stored as given. */
function itemOptions(metadata: Record<string, unknown> | undefined): ItemOptions {
  const { contentType, overwrite, ...rest } = metadata ?? {};
  if (contentType !== undefined && (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+(\s*;.{0,200})?$/.test(contentType))) {
    throw badRequest('metadata.contentType must be a media type such as text/markdown');
  }
  if (overwrite !== undefined && typeof overwrite !== 'boolean') throw badRequest('metadata.overwrite must be true or false');
  if (Buffer.byteLength(JSON.stringify(rest), 'utf8') > METADATA_MAX_BYTES)
    throw badRequest(`metadata is larger than ${METADATA_MAX_BYTES} bytes`);
  return { contentType, metadata: rest, overwrite: overwrite === true };
}

function decodeContent(content: string, encoding: 'utf8' | 'base64'): Buffer {
  if (encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(content.replace(/\s+/g, ''))) throw badRequest('content is not valid base64');
  const bytes = Buffer.from(content, encoding);
  if (bytes.length > INLINE_MAX_BYTES) {
    throw tooLarge(
      `content is ${bytes.length} bytes; inline content is limited to ${INLINE_MAX_BYTES} bytes (1 MiB): upload larger files (POST /api/workspace/items/uploads, then add with upload) or give a fileUrl`,
    );
  }
  return bytes;
}

export type AddResult = { outcome: 'created' | 'pending'; path: string };

export async function addItem(auth: AuthContext, input: AddInput): Promise<AddResult> {
  const ref = resolveScope(auth, input.scope, input.scopeId);
  const path = itemPath(input.itemPath);
  const options = itemOptions(input.metadata);
  const given = [input.content, input.fileUrl, input.upload].filter((source) => source !== undefined).length;
  if (given > 1) throw badRequest('Give one of content, fileUrl or upload, not several');
  if (input.content !== undefined)
    return { outcome: await storeItem(ref, path, decodeContent(input.content, input.encoding ?? 'utf8'), options), path };
  if (input.upload !== undefined) return { outcome: await addUpload(auth, ref, path, input.upload, options), path };
  if (input.fileUrl === undefined) throw badRequest('content or fileUrl (or upload, see POST /api/workspace/items/uploads) is required');
  if (!options.overwrite) await refuseTaken(ref, path);
  const opened = await openUrl(input.fileUrl, fetchDeadline(true));
  if (opened.contentLength !== undefined && opened.contentLength <= config.fetchSyncMaxBytes) {
    const bytes = await readCapped(opened, config.fetchSyncMaxBytes);
    return { outcome: await storeItem(ref, path, bytes, { ...options, contentType: options.contentType ?? opened.contentType }), path };
  }
  // large or of unknown size: accept now, fetch in the background (API Gateway answers within 30 s)
  opened.body.destroy();
  await acceptForIngestion(ref, path, { sourceUrl: input.fileUrl }, options);
  return { outcome: 'pending', path };
}

/** Not authoritative (the conditional write is): saves fetching or copying bytes that cannot be stored. */
async function refuseTaken(ref: ScopeRef, path: string): Promise<void> {
  const existing = await readEntry(ref, path);
  if (existing && isLive(existing.expiresAt) && existing.status !== 'failed') throw itemExists(path);
}

/**
 * Adds a staged upload: up to 1 MiB it is stored like inline content; larger ones are copied (by S3,
 * not through this function) to the item's key and indexed in the background. The upload is used up
 * once the item is stored or accepted; an add that fails before gives it back.
 */
async function addUpload(
  auth: AuthContext,
  ref: ScopeRef,
  path: string,
  upload: { id?: unknown },
  options: ItemOptions,
): Promise<AddResult['outcome']> {
  if (!options.overwrite) await refuseTaken(ref, path);
  const staged = await claimUpload(auth, upload?.id, path);
  const typed = { ...options, contentType: options.contentType ?? staged.contentType };
  let outcome: AddResult['outcome'];
  try {
    if (staged.size <= INLINE_MAX_BYTES) outcome = await storeItem(ref, path, await getBlob(staged.blobKey), typed);
    else {
      const blobKey = newBlobKey(ref);
      await copyBlob(staged.blobKey, blobKey);
      await acceptForIngestion(ref, path, { blobKey, size: staged.size }, typed);
      outcome = 'pending';
    }
  } catch (error) {
    await releaseUpload(staged).catch((e: Error) => logger.warn('could not release an upload', { uploadId: staged.sk, error: e }));
    throw error;
  }
  await deleteBlob(staged.blobKey).catch((error: Error) =>
    logger.warn('could not delete staged upload bytes', { blobKey: staged.blobKey, error }),
  );
  return outcome;
}

/**
 * Stores bytes as a new generation at a path; nothing remains when any step fails. Text of at most
 * `syncIndexMaxChunks` chunks is embedded within the request (201, searchable at once); longer text
 * is stored now and indexed in the background (202 pending), so the embedder calls of one request stay bounded.
 */
async function storeItem(ref: ScopeRef, path: string, bytes: Buffer, options: ItemOptions): Promise<AddResult['outcome']> {
  const contentType = contentTypeOf(path, options.contentType, bytes);
  const texts = isTextItem(contentType, bytes) ? chunkText(bytes.toString('utf8')) : [];
  const itemId = randomUUID();
  const blobKey = newBlobKey(ref);
  if (texts.length > config.syncIndexMaxChunks) {
    await putBlob(blobKey, bytes, contentType);
    await acceptForIngestion(ref, path, { blobKey, size: bytes.length }, { ...options, contentType });
    return 'pending';
  }
  const chunks = await embedTexts(path, texts);
  const entry: ItemEntry = {
    ...entryKey(ref, path),
    ...ref,
    itemId,
    status: 'ready',
    createdAt: new Date().toISOString(),
    contentType,
    size: bytes.length,
    binary: !looksLikeText(bytes),
    chunks: chunks.length,
    blobKey,
    metadata: options.metadata,
    ...expiryFields(ref.scope, itemId),
  };
  await putBlob(blobKey, bytes, contentType);
  let replaced: ItemEntry | undefined;
  try {
    replaced = await putEntry(entry, options.overwrite);
  } catch (error) {
    await deleteBlob(entry.blobKey);
    throw error;
  }
  try {
    if (chunks.length) await (await itemsIndex()).putItem(indexedItem(entry), chunks);
  } catch (error) {
    await deleteEntry(entry);
    await discard(entry);
    throw error;
  }
  if (replaced) await dispose(replaced);
  return 'created';
}

/** What a pending item is made from: a URL to fetch, or bytes already stored at its key, to index. */
type PendingSource = { sourceUrl: string } | { blobKey: string; size: number };

/**
 * Writes a pending entry for background work (ingest.ts): fetching a fileUrl, or indexing stored
 * bytes. It holds one of the tenant's background slots until done; when it cannot be written,
 * nothing remains (stored bytes included).
 */
async function acceptForIngestion(ref: ScopeRef, path: string, source: PendingSource, options: ItemOptions): Promise<void> {
  const itemId = randomUUID();
  const entry: ItemEntry = {
    ...entryKey(ref, path),
    ...ref,
    itemId,
    status: 'pending',
    createdAt: new Date().toISOString(),
    ...(options.contentType ? { contentType: options.contentType } : {}),
    metadata: options.metadata,
    ...source,
    expiresAt: Math.ceil(nowSeconds() + config.fetchTimeoutSeconds + PENDING_GRACE_SECONDS),
    expiryShard: expiryShard(itemId),
  };
  const storedKey = 'blobKey' in source ? source.blobKey : undefined;
  let replaced: ItemEntry | undefined;
  try {
    await claimFetchSlot(ref.tenant, itemId, entry.expiresAt as number);
    try {
      replaced = await putEntry(entry, options.overwrite);
    } catch (error) {
      await releaseFetchSlot(ref.tenant, itemId);
      throw error;
    }
  } catch (error) {
    await deleteBlob(storedKey);
    throw error;
  }
  if (replaced) await dispose(replaced);
  startIngestion(entry);
}

/** Frees what a deleted or superseded generation held: bytes, index documents, and a pending fetch's slot. */
async function dispose(entry: ItemEntry): Promise<void> {
  await discard(entry);
  if (entry.status === 'pending') await releaseFetchSlot(entry.tenant, entry.itemId);
}

/** Turns S3's "no such object" into `error`; other failures pass through. */
const missingAs =
  (error: Error) =>
  (cause: unknown): never => {
    throw isMissingObject(cause) ? error : cause;
  };

// ---- delete / move ----

export async function deleteItem(auth: AuthContext, input: { scope?: string; scopeId?: string; itemPath?: string }): Promise<void> {
  const ref = resolveScope(auth, input.scope, input.scopeId);
  const path = itemPath(input.itemPath);
  const entry = await liveEntry(ref, path, ['ready', 'pending']);
  if (!(await deleteEntry(entry))) throw itemNotFound(path);
  await dispose(entry);
}

export interface MoveInput {
  fromScope?: string;
  fromScopeId?: string;
  fromPath?: string;
  toPath?: string;
  toScope?: string;
  toScopeId?: string;
}

/**
 * Moves an item: copy its bytes under the destination scope, then one transaction deletes the
 * source entry and creates the destination entry (lifetime restarted). The index follows; search
 * checks hits against the table, so a lagging index never shows the old place.
 */
export async function moveItem(auth: AuthContext, input: MoveInput): Promise<{ path: string }> {
  const from = resolveScope(auth, input.fromScope, input.fromScopeId, { scope: 'fromScope', scopeId: 'fromScopeId' });
  const fromPath = itemPath(input.fromPath, 'fromPath');
  const sameScope = input.toScope === undefined || input.toScope === from.scope;
  const to = resolveScope(auth, input.toScope ?? from.scope, input.toScopeId ?? (sameScope ? input.fromScopeId : undefined), {
    scope: 'toScope',
    scopeId: 'toScopeId',
  });
  const toPath = input.toPath === undefined ? fromPath : itemPath(input.toPath, 'toPath');
  if (from.scope === to.scope && from.scopeId === to.scopeId && fromPath === toPath)
    throw badRequest('Source and destination are the same item');

  const source = await liveEntry(from, fromPath);
  const occupant = await readEntry(to, toPath);
  if (occupant && isLive(occupant.expiresAt) && occupant.status !== 'failed') throw itemExists(toPath);

  const destination: ItemEntry = {
    ...source,
    ...entryKey(to, toPath),
    ...to,
    blobKey: newBlobKey(to),
    expiresAt: undefined,
    expiryShard: undefined,
    ...expiryFields(to.scope, source.itemId),
  };
  // a concurrent move of the same item may have taken the bytes since the entry was read
  await copyBlob(source.blobKey as string, destination.blobKey as string).catch(missingAs(itemNotFound(fromPath)));
  try {
    await moveEntry(source, destination);
  } catch (error) {
    await deleteBlob(destination.blobKey);
    throw error;
  }
  await deleteBlob(source.blobKey).catch((error: Error) => logger.warn('could not delete moved item bytes', { error }));
  await (await itemsIndex())
    .moveItem(source.itemId, { scope: to.scope, scopeId: to.scopeId, path: toPath, expiresAt: destination.expiresAt })
    .catch((error: Error) => logger.error('could not move index documents', { itemId: source.itemId, error }));
  if (occupant && occupant.itemId !== source.itemId) await dispose(occupant);
  return { path: toPath };
}

// ---- search ----

/** Most index hits one search weighs against the table (a few rounds of a lagging index's leftovers). */
const MAX_SEARCH_HITS = 1000;

export interface SearchInput {
  query: string;
  scope?: string;
  scopeId?: string;
  limit?: number;
  minScore?: number;
}

export async function searchItems(auth: AuthContext, input: SearchInput) {
  const ref = resolveScope(auth, input.scope, input.scopeId);
  const limit = input.limit ?? 10;
  const minScore = input.minScore ?? 0.7;
  const now = nowSeconds();
  // a few more than asked, since hits whose entry is gone, replaced, expired or not ready are
  // dropped; when a lagging index held more of those than the margin, ask again for more
  for (let asked = limit + 10; ; asked *= 4) {
    const hits = await findHits(ref, input.query, asked, minScore, now);
    const entries = new Map<string, ItemEntry>();
    const isFresh = (hit: VectorHit) => {
      const entry = entries.get(hit.path);
      return entry && entry.itemId === hit.itemId && entry.status === 'ready' && isLive(entry.expiresAt);
    };
    // the entries of the best `limit` hits first, the rest only when some of those were stale: with
    // no stale hit, half the keys are read (each costs in DynamoDB, ~0.25 ms locally)
    const fresh: VectorHit[] = [];
    for (let next = 0; next < hits.length && fresh.length < limit; ) {
      const round = next ? hits.slice(next) : hits.slice(0, limit);
      next += round.length;
      for (const [path, entry] of await entriesAt(
        ref,
        round.map((hit) => hit.path).filter((path) => !entries.has(path)),
      ))
        entries.set(path, entry);
      fresh.push(...round.filter(isFresh));
    }
    if (fresh.length >= limit || hits.length < asked || asked >= MAX_SEARCH_HITS) {
      const results = fresh.slice(0, limit).map((hit) => {
        const entry = entries.get(hit.path) as ItemEntry;
        return { path: hit.path, content: hit.content, score: hit.score, metadata: { contentType: entry.contentType, ...entry.metadata } };
      });
      return { results, query: input.query, totalResults: results.length };
    }
  }
}
