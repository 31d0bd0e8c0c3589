import { BatchGetCommand, BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../kit/config';
import { mapLimit } from '../../shared/map-limit';
import { raiseFrontierHint, raiseHorizon, readHorizon, walkChanges, type ChangeItem } from './changelog';
import { CHANGE_END, changeKey, db, MARK_PREFIX, markKey, recordKey, tableName } from './store';
import type { MemoryTable } from '../../contracts/memory';
import { sleep } from '../../shared/time';

/**
 * Change-log compaction. Settled changes older than the retention window leave the log when
 * something newer replaced them: a superseded change of a record, a void marker, and a tombstone
 * (its state item stays, so an older write still cannot resurrect the record). What stays is the
 * latest change of every live record plus everything younger than the window, so the log grows
 * with the live records, not with the writes.
 *
 * The horizon H is raised BEFORE anything at or below it is deleted: a walker that meets a
 * missing number re-reads H and steps over it instead of taking it for a gap. A pull that would
 * start below H cannot replay what was removed (a delete, for one) and is answered with a full
 * resync instead (pull.ts).
 */

export interface CompactionResult {
  /** Change items and void markers removed. */
  removed: number;
  horizon: number;
}

async function batchDelete(keys: { pk: string; sk: string }[]): Promise<void> {
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

/** Sequence number each record's current state holds, and whether it is a tombstone. */
async function currentStates(pk: string, changes: ChangeItem[]): Promise<Map<string, { seq: number; del: boolean }>> {
  const keys = [...new Set(changes.map((c) => recordKey(c.tbl as MemoryTable, c.rid!)))];
  const states = new Map<string, { seq: number; del: boolean }>();
  const chunks: string[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  await mapLimit(chunks, 4, async (chunk) => {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean; ProjectionExpression: string }> | undefined = {
      [tableName()]: { Keys: chunk.map((sk) => ({ pk, sk })), ConsistentRead: true, ProjectionExpression: 'sk, seq, del' },
    };
    for (let attempt = 0; request && Object.keys(request).length; attempt++) {
      const out = await db().send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[tableName()] ?? [])
        states.set(item.sk as string, { seq: item.seq as number, del: item.del as boolean });
      request = out.UnprocessedKeys as typeof request;
      if (request && Object.keys(request).length) await sleep(Math.min(1000, 25 * 2 ** attempt));
    }
  });
  return states;
}

/**
 * Removes frontier marks too old to serve any `since` that may still be answered incrementally.
 * Called when a pull writes the mark of a new minute: at most once a minute per agent.
 */
export async function removeOldMarks(pk: string, now = Date.now()): Promise<void> {
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': pk,
        ':from': MARK_PREFIX,
        ':to': markKey(new Date(now - config.memoryLogRetentionMs - config.memorySinceMarginMs - 120_000)),
      },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
      Limit: 25,
    }),
  );
  await batchDelete((out.Items ?? []) as { pk: string; sk: string }[]);
}

async function firstChangeAfter(pk: string, seq: number): Promise<{ at: number } | undefined> {
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

/**
 * Runs after a push, with the sequence numbers of the changes its writes superseded. Those already
 * behind the horizon were the latest when compaction passed them and it will not come back: they
 * are removed here (the horizon is read after the writes committed, see compactLog's order). Then
 * at most `budget` change items after the horizon are compacted, oldest first (bounded work, so a
 * push can afford it), stopping at the first change younger than the retention window or at a gap
 * that may still fill.
 */
export async function compactLog(pk: string, budget: number, superseded: number[] = [], now = Date.now()): Promise<CompactionResult> {
  const cutoff = now - config.memoryLogRetentionMs;
  const horizon = await readHorizon(pk);
  const behind = superseded.filter((seq) => seq > 0 && seq <= horizon).map((seq) => ({ pk, sk: changeKey(seq) }));
  const [first] = await Promise.all([firstChangeAfter(pk, horizon), batchDelete(behind)]);
  // the usual case on a push: nothing is old enough yet, and one item read says so
  if (!first || first.at > cutoff) return { removed: behind.length, horizon };
  const walk = await walkChanges(pk, {
    after: horizon,
    maxChanges: budget,
    maxBytes: Infinity,
    fields: 'identity',
    includeVoids: true,
    stopBefore: (item) => item.at > cutoff,
  });
  if (walk.through <= horizon || !(await raiseHorizon(pk, walk.through))) return { removed: behind.length, horizon };
  await raiseFrontierHint(pk, walk.through);
  // states are read after the horizon moved: a write committed before that read is seen here, a
  // later one reads the new horizon after its commit and removes what it superseded itself
  const states = await currentStates(
    pk,
    walk.changes.filter((c) => !c.void),
  );
  const removable = walk.changes.filter((c) => {
    if (c.void) return true;
    const state = states.get(recordKey(c.tbl as MemoryTable, c.rid!));
    return !state || state.seq !== c.seq || state.del;
  });
  await batchDelete(removable.map((c) => ({ pk, sk: changeKey(c.seq) })));
  return { removed: behind.length + removable.length, horizon: walk.through };
}
