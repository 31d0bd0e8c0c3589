import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';
import { AppError, tooLarge } from '../../kit/errors';
import { queryAll as queryTable } from '../../kit/paging';
import { backoff as waitBackoff } from '../../shared/time';

/**
 * Key layout of the registry (see docs/registry.md). Every key starts with the tenant.
 *
 * `workspaces` table:
 *   pk `T#<tenant>`             sk `WS#<id>`             the workspace (+ `version`, `open_sessions`)
 *   pk `T#<tenant>`             sk `NAME#<name>`         uniqueness guard of a name -> `workspace_id`
 *   pk `T#<tenant>`             sk `ROOT#<sha256(root)>` uniqueness guard of a root_dir -> `workspace_id`
 *   pk `T#<tenant>#W#<id>`      sk `AGENT#<name>` | `SKILL#<name>` | `PROVIDER#<name>`
 * `sessions` table:
 *   pk `T#<tenant>#W#<id>`      sk `S#<session id>`      the session (+ `version`, `child_count`)
 */
export const keys = {
  workspace: (tenant: string, id: string) => ({ pk: `T#${tenant}`, sk: `WS#${id}` }),
  nameGuard: (tenant: string, name: string) => ({ pk: `T#${tenant}`, sk: `NAME#${name}` }),
  // hashed: a root may be 4096 characters, a sort key only 1024 bytes
  rootGuard: (tenant: string, root: string) => ({ pk: `T#${tenant}`, sk: `ROOT#${createHash('sha256').update(root).digest('hex')}` }),
  children: (tenant: string, workspaceId: string) => `T#${tenant}#W#${workspaceId}`,
  component: (tenant: string, workspaceId: string, kind: string, name: string) => ({
    pk: keys.children(tenant, workspaceId),
    sk: `${kind.toUpperCase()}#${name}`,
  }),
  session: (tenant: string, workspaceId: string, id: string) => ({ pk: keys.children(tenant, workspaceId), sk: `S#${id}` }),
};

export type Key = { pk: string; sk: string };
export type Item = Record<string, unknown>;
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const tables = {
  workspaces: () => config.tableName('workspaces'),
  sessions: () => config.tableName('sessions'),
};

const db = () => documentClient();

/** Attributes that are ours, not the wire shape's. */
const INTERNAL = new Set(['pk', 'sk', 'version', 'open_sessions', 'child_count']);
export function publicFields<T>(item: Item): T {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !INTERNAL.has(key))) as T;
}

export async function getItem(table: string, key: Key): Promise<Item | undefined> {
  const res = await db().send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
  return res.Item;
}

export function queryAll(table: string, pk: string, skPrefix?: string): Promise<Item[]> {
  return queryTable<Item>({
    TableName: table,
    KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':prefix': skPrefix } : {}) },
    ConsistentRead: true,
  });
}

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;

export async function batchGet(table: string, keyList: Key[]): Promise<Item[]> {
  const found: Item[] = [];
  for (let i = 0; i < keyList.length; i += BATCH_GET_LIMIT) {
    let pending: Item[] = keyList.slice(i, i + BATCH_GET_LIMIT);
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt) await backoff(attempt);
      const res = await db().send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      found.push(...(res.Responses?.[table] ?? []));
      pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return found;
}

export async function batchDelete(table: string, keyList: Key[]): Promise<void> {
  for (let i = 0; i < keyList.length; i += BATCH_WRITE_LIMIT) {
    let pending = keyList.slice(i, i + BATCH_WRITE_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt) await backoff(attempt);
      const res = await db().send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (res.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}

const TRANSACTION_ATTEMPTS = 8;

/**
 * Runs one transaction. Returns the indexes of the items whose condition failed (empty on
 * success). Cancellations caused by a concurrent transaction on the same items are retried.
 */
export async function transact(items: TransactItem[]): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return [];
    } catch (error) {
      if ((error as { name?: string }).name !== 'TransactionCanceledException') throw error;
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      const failed = reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
      if (failed.length) return failed;
      if (!reasons.some((reason) => reason.Code === 'TransactionConflict')) throw error;
      if (attempt + 1 >= TRANSACTION_ATTEMPTS) throw busy();
      await backoff(attempt + 1);
    }
  }
}

/** Optimistic updates re-read and try again this often before giving up. */
export const OPTIMISTIC_ATTEMPTS = 8;
export const busy = () => new AppError(409, 'CONFLICT', 'The record changed concurrently too often; retry the request');

const backoff = (attempt: number): Promise<void> => waitBackoff(attempt, { baseMs: 20, capMs: 1000 });

/** DynamoDB refuses items over 400 KB; refuse earlier with a 413 that names what is too large. */
const MAX_ITEM_BYTES = 350_000;
export function assertFits(what: string, item: Item): void {
  const size = Buffer.byteLength(JSON.stringify(item), 'utf8');
  if (size > MAX_ITEM_BYTES) throw tooLarge(`${what} is ${size} bytes when stored; the limit is ${MAX_ITEM_BYTES} bytes`);
}

export const now = (): string => new Date().toISOString();
