import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';
import { decodeCursor, encodeCursor } from '../../kit/cursor';
import { isConditionFailure } from '../../kit/errors';
import { queryPages } from '../../kit/paging';
import { itemExists, itemNotFound } from './errors';
import { isLive, nowSeconds, scopePk, type Scope, type ScopeRef } from './scope';

/**
 * Item entries in the manifests table: pk `T#<tenant>#ITEMS#<scope>#<scopeId or ->`, sk the path.
 * An entry is one generation of an item: `itemId` is new on every add, so index documents and
 * bytes of an older generation are never mistaken for the current one.
 */
export type ItemStatus = 'ready' | 'pending' | 'failed';

export interface ItemEntry {
  pk: string;
  sk: string;
  tenant: string;
  scope: Scope;
  scopeId: string;
  itemId: string;
  status: ItemStatus;
  createdAt: string;
  contentType?: string;
  size?: number;
  /** Bytes are not UTF-8 text: `get` answers them base64-encoded. */
  binary?: boolean;
  /** Number of chunks in the vector index (0 for binary items). */
  chunks?: number;
  blobKey?: string;
  metadata?: Record<string, unknown>;
  /** Epoch seconds (the table's TTL attribute); absent = permanent. */
  expiresAt?: number;
  /** Partition of the sparse `itemsByExpiry` index; set exactly when expiresAt is. */
  expiryShard?: string;
  /** pending / failed background fetches: the URL and, when failed, why. */
  sourceUrl?: string;
  error?: string;
}

export const entryKey = (ref: ScopeRef, path: string) => ({ pk: scopePk(ref), sk: path });
export const expiryShard = (itemId: string): string => `ITEMS#${itemId.charAt(0)}`;
export const EXPIRY_SHARDS = [...'0123456789abcdef'].map((c) => `ITEMS#${c}`);

const table = () => config.tableName('manifests');
const db = () => documentClient();

/** The path is free: no entry, an expired one, or a failed background fetch. */
const PATH_FREE = 'attribute_not_exists(pk) OR expiresAt <= :now OR #status = :failed';
const freeValues = (now: number) => ({ ':now': now, ':failed': 'failed' });

/** The entry at a path, whatever its state (expired ones included). */
export async function readEntry(ref: ScopeRef, path: string): Promise<ItemEntry | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: table(), Key: entryKey(ref, path), ConsistentRead: true }));
  return Item as ItemEntry | undefined;
}

/** The live entry at a path in the given states, else ITEM_NOT_FOUND. */
export async function liveEntry(ref: ScopeRef, path: string, states: ItemStatus[] = ['ready']): Promise<ItemEntry> {
  const entry = await readEntry(ref, path);
  if (!entry || !isLive(entry.expiresAt) || !states.includes(entry.status)) throw itemNotFound(path);
  return entry;
}

/**
 * Writes an entry where the path is free, or over anything when `overwrite`. Answers the entry it
 * replaced (an expired or failed one, or the overwritten item), whose bytes and index documents
 * the caller removes.
 */
export async function putEntry(entry: ItemEntry, overwrite: boolean): Promise<ItemEntry | undefined> {
  try {
    const { Attributes } = await db().send(
      new PutCommand({
        TableName: table(),
        Item: entry,
        ReturnValues: 'ALL_OLD',
        ...(overwrite
          ? {}
          : {
              ConditionExpression: PATH_FREE,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: freeValues(nowSeconds()),
            }),
      }),
    );
    return Attributes as ItemEntry | undefined;
  } catch (error) {
    if (isConditionFailure(error)) throw itemExists(entry.sk);
    throw error;
  }
}

/** Deletes one generation of an entry; false when the path now holds another one (or nothing). */
export async function deleteEntry(entry: Pick<ItemEntry, 'pk' | 'sk' | 'itemId'>): Promise<boolean> {
  try {
    await db().send(
      new DeleteCommand({
        TableName: table(),
        Key: { pk: entry.pk, sk: entry.sk },
        ConditionExpression: 'itemId = :itemId',
        ExpressionAttributeValues: { ':itemId': entry.itemId },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Updates one generation (condition: same itemId and still pending); false when it changed meanwhile. */
export async function finishPending(entry: ItemEntry, changes: Partial<ItemEntry>, remove: (keyof ItemEntry)[] = []): Promise<boolean> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':itemId': entry.itemId, ':pending': 'pending' };
  const sets = Object.entries(changes).map(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    return `#f${i} = :v${i}`;
  });
  const removes = remove.map((field, i) => {
    names[`#r${i}`] = field;
    return `#r${i}`;
  });
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: entry.pk, sk: entry.sk },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'itemId = :itemId AND #status = :pending',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Moves an entry in one transaction: delete the source (still the generation read) and put the
 * destination (path free). Either both happen or neither, so the item is always at exactly one place.
 */
export async function moveEntry(source: ItemEntry, destination: ItemEntry): Promise<void> {
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: table(),
              Key: { pk: source.pk, sk: source.sk },
              ConditionExpression: 'itemId = :itemId AND #status = :ready AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':itemId': source.itemId, ':ready': 'ready', ':now': nowSeconds() },
            },
          },
          {
            Put: {
              TableName: table(),
              Item: destination,
              ConditionExpression: PATH_FREE,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: freeValues(nowSeconds()),
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'TransactionCanceledException') {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw itemNotFound(source.sk);
      if (reasons[1]?.Code === 'ConditionalCheckFailed') throw itemExists(destination.sk);
    }
    throw error;
  }
}

export interface EntryPage {
  entries: ItemEntry[];
  cursor?: string;
}

/** One page of live, ready entries of a scope, in path order. */
export async function listEntries(
  ref: ScopeRef,
  prefix: string | undefined,
  limit: number,
  cursor: string | undefined,
): Promise<EntryPage> {
  // DynamoDB refuses a start key outside the key condition: a cursor of another prefix is the client's mistake
  const startKey = cursor ? { pk: scopePk(ref), sk: decodeCursor(cursor, (sk) => sk.startsWith(prefix ?? '/')) } : undefined;
  const entries: ItemEntry[] = [];
  let lastKey: Record<string, unknown> | undefined;
  // the filter can thin a page out: keep reading until the page is full or the scope ends
  const scope = queryPages<ItemEntry>(
    () => ({
      TableName: table(),
      KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
      FilterExpression: '#status = :ready AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pk': scopePk(ref), ':ready': 'ready', ':now': nowSeconds(), ...(prefix ? { ':prefix': prefix } : {}) },
      Limit: limit - entries.length,
      ConsistentRead: true,
    }),
    startKey,
  );
  for await (const page of scope) {
    entries.push(...page.items);
    lastKey = page.lastKey;
    if (entries.length >= limit) break;
  }
  return { entries, cursor: lastKey ? encodeCursor(String(lastKey.sk)) : undefined };
}

/**
 * Entries of a scope at the given paths (for checking search hits against the table). A path may
 * come twice (an index still holding an older generation beside the current one); BatchGetItem
 * refuses a repeated key, so each is read once.
 */
export async function entriesAt(ref: ScopeRef, wanted: string[]): Promise<Map<string, ItemEntry>> {
  const found = new Map<string, ItemEntry>();
  const paths = [...new Set(wanted)];
  for (let i = 0; i < paths.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = paths.slice(i, i + 100).map((path) => entryKey(ref, path));
    while (keys?.length) {
      const res = await db().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of (res.Responses?.[table()] ?? []) as ItemEntry[]) found.set(item.sk, item);
      keys = res.UnprocessedKeys?.[table()]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return found;
}

/** Expired entries (keys, itemId, blobKey) of one shard of the sparse expiry index. */
export async function expiredInShard(
  shard: string,
  now: number,
  limit: number,
): Promise<Pick<ItemEntry, 'pk' | 'sk' | 'itemId' | 'blobKey'>[]> {
  const { Items } = await db().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'itemsByExpiry',
      KeyConditionExpression: 'expiryShard = :shard AND expiresAt <= :now',
      ExpressionAttributeValues: { ':shard': shard, ':now': now },
      Limit: limit,
    }),
  );
  return (Items ?? []) as Pick<ItemEntry, 'pk' | 'sk' | 'itemId' | 'blobKey'>[];
}

/** Deletes an entry only while it is that generation and expired (a fresh re-add is left alone). */
export async function deleteExpiredEntry(entry: Pick<ItemEntry, 'pk' | 'sk' | 'itemId'>, now: number): Promise<boolean> {
  try {
    await db().send(
      new DeleteCommand({
        TableName: table(),
        Key: { pk: entry.pk, sk: entry.sk },
        ConditionExpression: 'itemId = :itemId AND expiresAt <= :now',
        ExpressionAttributeValues: { ':itemId': entry.itemId, ':now': now },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
