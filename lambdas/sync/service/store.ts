import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';
import { TABLES } from '../../kit/data-model';
import { isConditionFailure } from '../../kit/errors';
import { itemsOf, queryPages } from '../../kit/paging';

/**
 * Workspace sync in the `manifests` table, one partition per agent:
 *   pk `T#<tenant>#SYNC#<agentId>`, sk `H`          header: displayName, version, fileCount, totalSize, lastSync, …
 *   pk `T#<tenant>#SYNC#<agentId>`, sk `F#<path>`   one file: h (hex SHA-256), s (size), m (modified),
 *                                                   k (where its bytes are: keys.ts), v (S3 version id, older entries),
 *                                                   u (the newest direct put ever recorded for the path, carried over)
 *   pk `T#<tenant>#SYNC#<agentId>`, sk `F#<path>`   or a deleted file's tombstone: d (when deleted), u (as above,
 *                                                   advanced to the delete's time), expiresAt (DynamoDB's TTL)
 *   pk `T#<tenant>#SYNC#<agentId>`, sk `U#<nonce>`  a multipart upload taken by a confirm (kept: it is never taken again)
 * File items hold short attribute names so a 1 MB Query page carries thousands of entries; the
 * header changes in the same transaction as the files, so its counters never drift. Listings skip
 * tombstones; confirms read them (docs/sync.md, "Delete").
 */

export interface ScopeRef {
  tenant: string;
  agentId: string;
}

export interface FileEntry {
  path: string;
  hash: string;
  size: number;
  modified: string;
  /** Where the bytes are (keys.ts): `b` the content's blob, `m-<nonce>` a multipart upload; absent in entries older than staging. */
  location?: string;
  /** S3 version id: entries older than staging only. */
  versionId?: string;
  /**
   * The nonce of the newest direct put (`p-<nonce>`) any entry of this path has named, kept by
   * every later entry of the path. Nonces grow with presign time, so a confirm of that put or an
   * older one can never name its key again once a later entry replaced it (and removed the key).
   */
  newest?: string;
}

/**
 * What a delete leaves of a file: when, and the newest direct put the path may ever name (`u`,
 * advanced to the delete's time), so no confirm of an upload made before the delete, first or
 * retried, records it afterwards. Its item lives in the file's place (a confirm's write is
 * conditioned on it like on an entry) until DynamoDB's TTL removes it, long after any such
 * upload could still be confirmed.
 */
export interface Tombstone {
  path: string;
  deletedAt: string;
  newest: string;
}

/** What the manifest holds for a path: its file, or the tombstone of its delete. */
export type PathRecord = FileEntry | Tombstone;
export const isTombstone = (r: PathRecord | undefined): r is Tombstone => r !== undefined && 'deletedAt' in r;
export const isFile = (r: PathRecord | undefined): r is FileEntry => r !== undefined && !isTombstone(r);

/** How long a tombstone is kept: uploads older than it were removed or expired (1 day) long before. */
const TOMBSTONE_SECONDS = 7 * 86400;
/** The table's TTL attribute (epoch seconds), which DynamoDB removes tombstones by. */
const TTL_ATTRIBUTE = TABLES.manifests.ttlAttribute as string;

export interface AgentHeader {
  agentId: string;
  displayName?: string;
  version: number;
  fileCount: number;
  totalSize: number;
  lastSync?: string;
  lastConfirmAt?: string;
  registeredAt?: string;
}

const FILE = 'F#';
const HEADER = 'H';
const table = () => config.tableName('manifests');
const partition = (a: ScopeRef) => `T#${a.tenant}#SYNC#${a.agentId}`;
const fileKey = (a: ScopeRef, path: string) => ({ pk: partition(a), sk: FILE + path });

function toRecord(item: Record<string, unknown>): PathRecord {
  if (item.d) return { path: (item.sk as string).slice(FILE.length), deletedAt: item.d as string, newest: item.u as string };
  return {
    path: (item.sk as string).slice(FILE.length),
    hash: item.h as string,
    size: item.s as number,
    modified: item.m as string,
    ...(item.k ? { location: item.k as string } : {}),
    ...(item.v ? { versionId: item.v as string } : {}),
    ...(item.u ? { newest: item.u as string } : {}),
  };
}

export async function getHeader(a: ScopeRef): Promise<AgentHeader> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: table(), Key: { pk: partition(a), sk: HEADER }, ConsistentRead: true }),
  );
  return {
    agentId: a.agentId,
    version: 0,
    fileCount: 0,
    totalSize: 0,
    ...(Item ? stripKeys(Item) : {}),
  } as AgentHeader;
}

function stripKeys({ pk: _pk, sk: _sk, ...rest }: Record<string, unknown>) {
  return rest;
}

/** Creates the header or renames the agent; counters start at zero and are never reset. */
export async function registerAgent(a: ScopeRef, displayName: string | undefined, now: string): Promise<AgentHeader> {
  const { Attributes } = await documentClient().send(
    new UpdateCommand({
      TableName: table(),
      Key: { pk: partition(a), sk: HEADER },
      UpdateExpression:
        'SET agentId = :a, registeredAt = if_not_exists(registeredAt, :now), version = if_not_exists(version, :zero), ' +
        'fileCount = if_not_exists(fileCount, :zero), totalSize = if_not_exists(totalSize, :zero)' +
        (displayName === undefined ? ', displayName = if_not_exists(displayName, :a)' : ', displayName = :name'),
      ExpressionAttributeValues: {
        ':a': a.agentId,
        ':now': now,
        ':zero': 0,
        ...(displayName === undefined ? {} : { ':name': displayName }),
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return stripKeys(Attributes ?? {}) as unknown as AgentHeader;
}

/** The files of these paths (tombstones left out). */
export async function getEntries(a: ScopeRef, paths: string[]): Promise<Map<string, FileEntry>> {
  const found = new Map<string, FileEntry>();
  for (const [path, record] of await getRecords(a, paths)) if (isFile(record)) found.set(path, record);
  return found;
}

/** What the manifest holds for these paths: files and tombstones. */
export async function getRecords(a: ScopeRef, paths: string[]): Promise<Map<string, PathRecord>> {
  const found = new Map<string, PathRecord>();
  const unique = [...new Set(paths)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((p) => fileKey(a, p));
    for (let attempt = 0; keys?.length; attempt++) {
      const res: BatchGetCommandOutput = await documentClient().send(
        new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of res.Responses?.[table()] ?? []) {
        const record = toRecord(item);
        found.set(record.path, record);
      }
      keys = res.UnprocessedKeys?.[table()]?.Keys;
      if (keys?.length) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
    }
  }
  return found;
}

/**
 * Takes a multipart upload for one confirm: true for the first caller ever, false after. Only the
 * taker may name the upload's key in an entry or remove it, so no two entries ever name one key.
 */
export async function claimUpload(a: ScopeRef, nonce: string, now: string): Promise<boolean> {
  try {
    await documentClient().send(
      new PutCommand({
        TableName: table(),
        Item: { pk: partition(a), sk: `U#${nonce}`, claimedAt: now },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export interface EntryPage {
  entries: FileEntry[];
  /** The last path returned, when more may follow. */
  lastPath?: string;
}

/**
 * Entries in path order from `after` (exclusive), under `prefix`, until `limit` entries or
 * `budgetBytes` of estimated JSON: one paginated Query, never a round trip per file.
 */
export async function queryEntries(
  a: ScopeRef,
  options: { prefix?: string; after?: string; limit?: number; budgetBytes?: number },
): Promise<EntryPage> {
  const limit = options.limit ?? Infinity;
  const budget = options.budgetBytes ?? Infinity;
  const entries: FileEntry[] = [];
  let used = 0;
  const rows = queryPages(
    () => ({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partition(a), ':prefix': FILE + (options.prefix ?? '') },
      ...(Number.isFinite(limit) ? { Limit: Math.min(limit - entries.length, 10000) } : {}),
    }),
    options.after === undefined ? undefined : fileKey(a, options.after),
  );
  for await (const item of itemsOf(rows)) {
    const entry = toRecord(item);
    if (!isFile(entry)) continue;
    entries.push(entry);
    used += Buffer.byteLength(entry.path) + 140;
    if (entries.length >= limit || used >= budget) return { entries, lastPath: entry.path };
  }
  return { entries };
}

export interface EntryChange {
  path: string;
  /** What was read before the change: the write only happens while it is still current. */
  previous?: PathRecord;
  /** The new entry, or the tombstone that removes the file. */
  next: PathRecord;
}

/** The write's condition: the item is still what was read (the same content and `u`, or the same tombstone), or absent. */
function unchangedSince(previous: PathRecord | undefined) {
  if (!previous) return { ConditionExpression: 'attribute_not_exists(sk)' };
  const [same, values] = isTombstone(previous)
    ? ['d = :d', { ':d': previous.deletedAt }]
    : ['h = :h AND s = :s', { ':h': previous.hash, ':s': previous.size }];
  if (previous.newest === undefined)
    return { ConditionExpression: `${same} AND attribute_not_exists(u)`, ExpressionAttributeValues: values };
  return { ConditionExpression: `${same} AND u = :u`, ExpressionAttributeValues: { ...values, ':u': previous.newest } };
}

function itemOf(a: ScopeRef, n: PathRecord): Record<string, unknown> {
  if (isTombstone(n)) {
    const expiresAt = Math.ceil(Date.parse(n.deletedAt) / 1000) + TOMBSTONE_SECONDS;
    return { ...fileKey(a, n.path), d: n.deletedAt, u: n.newest, [TTL_ATTRIBUTE]: expiresAt };
  }
  return {
    ...fileKey(a, n.path),
    h: n.hash,
    s: n.size,
    m: n.modified,
    ...(n.location ? { k: n.location } : {}),
    ...(n.versionId ? { v: n.versionId } : {}),
    ...(n.newest ? { u: n.newest } : {}),
  };
}

/** DynamoDB allows 100 items per transaction: 99 files + the header. */
export const FILES_PER_TRANSACTION = 99;

/**
 * Applies changes of up to 99 files and the header counters in one transaction. False when a
 * file changed since it was read or a concurrent transaction held an item (the caller re-reads
 * and retries); nothing is written then.
 */
export async function applyChanges(a: ScopeRef, changes: EntryChange[], now: string, confirmed: boolean): Promise<boolean> {
  if (changes.length === 0) return true;
  if (changes.length > FILES_PER_TRANSACTION) throw new Error(`applyChanges takes at most ${FILES_PER_TRANSACTION} files`);
  let countDelta = 0;
  let sizeDelta = 0;
  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = changes.map((c) => {
    countDelta += (isFile(c.next) ? 1 : 0) - (isFile(c.previous) ? 1 : 0);
    sizeDelta += (isFile(c.next) ? c.next.size : 0) - (isFile(c.previous) ? c.previous.size : 0);
    return { Put: { TableName: table(), Item: itemOf(a, c.next), ...unchangedSince(c.previous) } };
  });
  items.push({
    Update: {
      TableName: table(),
      Key: { pk: partition(a), sk: HEADER },
      UpdateExpression:
        'SET agentId = :a, version = if_not_exists(version, :zero) + :one, fileCount = if_not_exists(fileCount, :zero) + :dc, ' +
        'totalSize = if_not_exists(totalSize, :zero) + :ds, lastSync = :now, registeredAt = if_not_exists(registeredAt, :now), ' +
        'displayName = if_not_exists(displayName, :a)' +
        (confirmed ? ', lastConfirmAt = :now' : ''),
      ExpressionAttributeValues: { ':a': a.agentId, ':zero': 0, ':one': 1, ':dc': countDelta, ':ds': sizeDelta, ':now': now },
    },
  });
  try {
    await documentClient().send(new TransactWriteCommand({ TransactItems: items }));
    return true;
  } catch (error) {
    if (isConditionFailure(error) || isTransactionConflict(error)) return false;
    throw error;
  }
}

/** Another transaction held the header (concurrent confirms of one agent): retrying is safe. */
function isTransactionConflict(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  if (e?.name === 'TransactionConflictException') return true;
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}
