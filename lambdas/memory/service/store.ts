import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { MemoryTable } from '../../contracts/memory';
import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';
import { isConditionFailure } from '../../kit/errors';
import { queryPages } from '../../kit/paging';
import { mapLimit } from '../../shared/map-limit';
import { sleep } from '../../shared/time';
import type { CurrentState, Operation } from './rules';

/**
 * The memory surface's storage: its key layout and every read and write of its table. The change-log protocol
 * (changelog.ts), compaction (compaction.ts), push and pull decide WHAT to read and write; this module says HOW.
 */

const db = () => documentClient();
const tableName = (): string => config.tableName('syncRecords');

/**
 * Key layout of the syncRecords table. One partition per agent:
 *   pk = T#<tenant>#A#<agent>
 *   sk = R#<table>#<record_id>   current state of a record (LWW winner, tombstone flag, data)
 *        C#<seq, 15 digits>      change log: one item per accepted write, or a void marker for a
 *                                sequence number that will never carry a change
 *        SEQ                     change sequence counter (atomic ADD)
 *        FRONTIER                highest sequence known to have every predecessor settled (a hint)
 *        HORIZON                 the change log is compacted up to this sequence: a number at or below it
 *                                without a change item is not a gap (its change was superseded or is old)
 *        META                    agent-wide last push / last pull
 *        D#<device>              a named device's pull cursor and times
 *        M#<minute>              frontier observed at that server minute (maps Kernle `since` onto sequences)
 */
export const partitionKey = (tenant: string, agent: string): string => `T#${tenant}#A#${agent}`;
export const recordKey = (table: MemoryTable, recordId: string): string => `R#${table}#${recordId}`;
export const RECORD_PREFIX = 'R#';
export const CHANGE_PREFIX = 'C#';
const SEQ_DIGITS = 15;
export const changeKey = (seq: number): string => `${CHANGE_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}`;
/** Sorts after every change key. */
export const CHANGE_END = `${CHANGE_PREFIX}~`;
export const COUNTER_KEY = 'SEQ';
export const FRONTIER_KEY = 'FRONTIER';
export const HORIZON_KEY = 'HORIZON';
export const META_KEY = 'META';
export const deviceKey = (device: string): string => `D#${device}`;
export const MARK_PREFIX = 'M#';
export const markKey = (serverTime: Date): string => `${MARK_PREFIX}${serverTime.toISOString().slice(0, 16)}`;

export interface ChangeItem {
  pk: string;
  sk: string;
  seq: number;
  /** Server time the writer took its sequence number (ms since epoch). */
  at: number;
  void?: true;
  tbl?: string;
  rid?: string;
  del?: boolean;
  ts?: number;
  lua?: string;
  h?: string;
  data?: string;
  /** The client's version, as JSON. */
  verj?: string;
  /** The client's version as a DynamoDB value (changes written before `verj`). */
  ver?: unknown;
}

/** True when written; false when the item's condition failed (someone got there first). */
async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

// ---- the sequence counter

/** Takes `count` consecutive sequence numbers; returns the first. */
export async function allocateSequence(pk: string, count: number): Promise<number> {
  const out = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: { pk, sk: COUNTER_KEY },
      UpdateExpression: 'ADD n :count',
      ExpressionAttributeValues: { ':count': count },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return (out.Attributes!.n as number) - count + 1;
}

export async function allocatedUpTo(pk: string): Promise<number> {
  const out = await db().send(new GetCommand({ TableName: tableName(), Key: { pk, sk: COUNTER_KEY }, ConsistentRead: true }));
  return (out.Item?.n as number | undefined) ?? 0;
}

// ---- change items

/** Marks a sequence number as carrying no change; false when a change (or void) is already there. */
export function voidSequence(pk: string, seq: number): Promise<boolean> {
  return conditional(
    db().send(
      new PutCommand({
        TableName: tableName(),
        Item: { pk, sk: changeKey(seq), seq, at: Date.now(), void: true },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

export async function readChange(pk: string, seq: number): Promise<ChangeItem | undefined> {
  const out = await db().send(new GetCommand({ TableName: tableName(), Key: { pk, sk: changeKey(seq) }, ConsistentRead: true }));
  return out.Item as ChangeItem | undefined;
}

const PROJECTIONS = {
  keys: 'pk, sk, seq, #at, #void',
  identity: 'pk, sk, seq, #at, #void, tbl, rid, del',
} as const;

/** Pages of the change log after `after`, in sequence order; `limit` is asked before each page. */
export function changePages(pk: string, after: number, fields: 'record' | 'keys' | 'identity', limit: () => number) {
  return queryPages<ChangeItem>(() => ({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': pk, ':from': changeKey(after + 1), ':to': CHANGE_END },
    ...(fields !== 'record'
      ? { ProjectionExpression: PROJECTIONS[fields], ExpressionAttributeNames: { '#at': 'at', '#void': 'void' } }
      : {}),
    ConsistentRead: true,
    Limit: limit(),
  }));
}

/** When the first change item after `seq` was taken (void markers included). */
export async function firstChangeAfter(pk: string, seq: number): Promise<{ at: number } | undefined> {
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': changeKey(seq + 1), ':to': CHANGE_END },
      ProjectionExpression: '#at',
      ExpressionAttributeNames: { '#at': 'at' },
      ConsistentRead: true,
      Limit: 1,
    }),
  );
  return out.Items?.[0] as { at: number } | undefined;
}

/** Committed changes after `after`, counted over at most `max` items (`capped` when more may follow). */
export async function countChangesAfter(pk: string, after: number, max: number): Promise<{ changes: number; capped: boolean }> {
  const page = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: 'attribute_not_exists(#void)',
      ExpressionAttributeNames: { '#void': 'void' },
      ExpressionAttributeValues: { ':pk': pk, ':from': changeKey(after + 1), ':to': CHANGE_END },
      Select: 'COUNT',
      ConsistentRead: true,
      Limit: max,
    }),
  );
  return { changes: page.Count ?? 0, capped: page.LastEvaluatedKey !== undefined };
}

// ---- horizon and frontier hint

const readSeq = async (pk: string, sk: string): Promise<number> => {
  const out = await db().send(new GetCommand({ TableName: tableName(), Key: { pk, sk }, ConsistentRead: true }));
  return (out.Item?.seq as number | undefined) ?? 0;
};

/** Raises the `seq` of HORIZON or FRONTIER (never lowers it); false when it already stood that high. */
const raiseSeq = (pk: string, sk: string, seq: number): Promise<boolean> =>
  conditional(
    db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk, sk },
        UpdateExpression: 'SET seq = :seq',
        ConditionExpression: 'attribute_not_exists(seq) OR seq < :seq',
        ExpressionAttributeValues: { ':seq': seq },
      }),
    ),
  );

/** Sequence up to which the change log is compacted (0: never). */
export const readHorizon = (pk: string): Promise<number> => readSeq(pk, HORIZON_KEY);
/** Moves the horizon up (never down); false when another compaction got there first. */
export const raiseHorizon = (pk: string, seq: number): Promise<boolean> => raiseSeq(pk, HORIZON_KEY, seq);
export const readFrontierHint = (pk: string): Promise<number> => readSeq(pk, FRONTIER_KEY);
/** Raises the frontier hint (never lowers it). */
export async function raiseFrontierHint(pk: string, seq: number): Promise<void> {
  await raiseSeq(pk, FRONTIER_KEY, seq);
}

/**
 * Moves the hint from `previous` to `last` when it stands exactly at `previous`: the caller settled
 * every number in (previous, last] itself (a writer's block: each committed or voided), so the
 * hint keeps its meaning. A writer whose block does not follow the hint leaves it to pullers.
 */
export function advanceFrontierHint(pk: string, previous: number, last: number): Promise<boolean> {
  return conditional(
    db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk, sk: FRONTIER_KEY },
        UpdateExpression: 'SET seq = :last',
        ConditionExpression: previous === 0 ? 'attribute_not_exists(seq) OR seq = :previous' : 'seq = :previous',
        ExpressionAttributeValues: { ':previous': previous, ':last': last },
      }),
    ),
  );
}

// ---- frontier marks

/** Latest frontier marked in a minute that ended by `time` (0 when none is that old). */
export async function frontierAt(pk: string, time: number): Promise<number> {
  // a mark is keyed by the minute it was taken in, so only marks of minutes that ended by `time` are surely older
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': MARK_PREFIX, ':to': markKey(new Date(time - 60_000)) },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  return (out.Items?.[0]?.seq as number | undefined) ?? 0;
}

/** Writes the minute's mark unless the minute has one; true when this was the first. */
export const putMark = (pk: string, at: Date, frontier: number): Promise<boolean> =>
  conditional(
    db().send(
      new PutCommand({
        TableName: tableName(),
        Item: { pk, sk: markKey(at), seq: frontier },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );

/** Removes up to 25 marks of minutes up to `before`'s. */
export async function removeMarksUpTo(pk: string, before: Date): Promise<void> {
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': MARK_PREFIX, ':to': markKey(before) },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
      Limit: 25,
    }),
  );
  await deleteItems((out.Items ?? []) as { pk: string; sk: string }[]);
}

// ---- batches

/** Deletes items, 25 per request, retrying what DynamoDB leaves unprocessed. */
export async function deleteItems(keys: { pk: string; sk: string }[]): Promise<void> {
  const chunks: { pk: string; sk: string }[][] = [];
  for (let i = 0; i < keys.length; i += 25) chunks.push(keys.slice(i, i + 25));
  await mapLimit(chunks, 4, async (chunk) => {
    let pending: Record<string, unknown>[] = chunk.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; pending.length; attempt++) {
      const out = await db().send(new BatchWriteCommand({ RequestItems: { [tableName()]: pending as never } }));
      pending = (out.UnprocessedItems?.[tableName()] ?? []) as Record<string, unknown>[];
      if (pending.length) await sleep(Math.min(1000, 25 * 2 ** attempt));
    }
  });
}

/** Items of one partition by sort key (consistent reads, 100 per request, unprocessed keys retried); `projection` must name sk. */
export async function readItems<T>(pk: string, sortKeys: string[], projection: string): Promise<Map<string, T>> {
  const items = new Map<string, T>();
  const chunks: string[][] = [];
  for (let i = 0; i < sortKeys.length; i += 100) chunks.push(sortKeys.slice(i, i + 100));
  await mapLimit(chunks, 4, async (chunk) => {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean; ProjectionExpression: string }> | undefined = {
      [tableName()]: { Keys: chunk.map((sk) => ({ pk, sk })), ConsistentRead: true, ProjectionExpression: projection },
    };
    for (let attempt = 0; request && Object.keys(request).length; attempt++) {
      const out = await db().send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[tableName()] ?? []) items.set(item.sk as string, item as T);
      request = out.UnprocessedKeys as typeof request;
      if (request && Object.keys(request).length) await sleep(Math.min(1000, 25 * 2 ** attempt));
    }
  });
  return items;
}

// ---- record states

export const STATE_ATTRIBUTES = 'sk, ts, h, del, seq, lua';

export async function readState(pk: string, sk: string): Promise<CurrentState | undefined> {
  const out = await db().send(
    new GetCommand({ TableName: tableName(), Key: { pk, sk }, ConsistentRead: true, ProjectionExpression: STATE_ATTRIBUTES }),
  );
  return out.Item as CurrentState | undefined;
}

/**
 * The two writes of an accepted operation: the state item, replaced only if the operation is newer than what is
 * stored AND its sequence number is higher than the stored one (so that, per record, the change log lists states in
 * the order the record took them), and the change item, which must not exist yet (a puller may have voided a late
 * number).
 */
function writeItems(pk: string, op: Operation, seq: number) {
  const change = {
    tbl: op.table,
    rid: op.recordId,
    del: op.deleted,
    ts: op.version.ts,
    h: op.version.hash,
    lua: op.localUpdatedAt,
    seq,
    at: Date.now(),
    data: op.dataJson,
    ...(op.clientVersion !== undefined ? { verj: JSON.stringify(op.clientVersion) } : {}),
  };
  const newer = '(ts < :ts OR (ts = :ts AND h < :h)) AND seq < :seq';
  return [
    {
      Put: {
        TableName: tableName(),
        Item: { pk, sk: recordKey(op.table, op.recordId), ...change },
        ConditionExpression: `attribute_not_exists(pk) OR (${newer}${op.insertOnly ? ' AND del = :true' : ''})`,
        ExpressionAttributeValues: {
          ':ts': op.version.ts,
          ':h': op.version.hash,
          ':seq': seq,
          ...(op.insertOnly ? { ':true': true } : {}),
        },
      },
    },
    { Put: { TableName: tableName(), Item: { pk, sk: changeKey(seq), ...change }, ConditionExpression: 'attribute_not_exists(pk)' } },
  ];
}

/** Writes operations in ONE transaction, two items each (state, then change): a cancellation names items in that order. */
export async function writeOperations(pk: string, writes: { op: Operation; seq: number }[]): Promise<void> {
  await db().send(new TransactWriteCommand({ TransactItems: writes.flatMap(({ op, seq }) => writeItems(pk, op, seq)) }));
}

/** Current state of every live record, paged by record key from `from` (a record key). */
export function liveRecordPages(pk: string, from: string | undefined, limit: () => number) {
  return queryPages<ChangeItem & { sk: string }>(
    () => ({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'del = :false',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': RECORD_PREFIX, ':false': false },
      ConsistentRead: true,
      Limit: limit(),
    }),
    from ? { pk, sk: from } : undefined,
  );
}

// ---- agent and device times

export interface Position {
  pull_seq?: number;
  last_pull?: string;
  last_push?: string;
}

/** A named device's item, else the agent's META item. */
export async function readPosition(pk: string, device: string | undefined): Promise<Position> {
  const out = await db().send(
    new GetCommand({ TableName: tableName(), Key: { pk, sk: device ? deviceKey(device) : META_KEY }, ConsistentRead: true }),
  );
  return (out.Item ?? {}) as Position;
}

/** Sets attributes on the agent's META item and, for a named device, on its item too. */
export async function recordTimes(pk: string, device: string | undefined, values: Position): Promise<void> {
  const names = Object.keys(values) as (keyof Position)[];
  const update = (sk: string) =>
    db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk, sk },
        UpdateExpression: `SET ${names.map((n) => `${n} = :${n}`).join(', ')}`,
        ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, values[n]])),
      }),
    );
  await Promise.all([update(META_KEY), device ? update(deviceKey(device)) : undefined]);
}
