import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { badRequest } from '../../kit/errors';
import { isConditionFailure } from '../../kit/errors';
import type { AgentScope } from './agent';
import { raiseFrontierHint, settledFrontier, walkChanges, type ChangeItem } from './changelog';
import { MARK_PREFIX, META_KEY, RECORD_PREFIX, deviceKey, markKey } from './keys';
import { timestampMicros, type MemoryTable } from './records';
import { db, tableName } from './table';

/** A change (or, for a full pull, a live record) as a pull returns it. */
export interface PulledChange {
  seq: number;
  table: MemoryTable;
  record_id: string;
  deleted: boolean;
  data: Record<string, unknown> | null;
  local_updated_at: string;
  version?: unknown;
}

export interface PullRequest {
  cursor?: string;
  /** ISO timestamp of the client's clock (Kernle): a hint, see resolveStart. */
  since?: string;
  full?: boolean;
  limit?: number;
}

export interface PullOutcome {
  changes: PulledChange[];
  hasMore: boolean;
  cursor: string;
  serverTime: Date;
}

export const DEFAULT_PULL_LIMIT = 1000;
export const MAX_PULL_LIMIT = 5000;
/** Keeps a page well under Lambda's 6 MB response limit. */
const MAX_PAGE_BYTES = 4 * 1024 * 1024;
/** Clock skew (and delay) tolerated between a Kernle client's `since` and the server's clock. */
export const SINCE_MARGIN_MS = 10 * 60_000;

/** `s`: incremental, changes after sequence s. `f`/`w`: full pull, records after key f, snapshot at frontier w. */
type Cursor = { s: number } | { f: string | null; w: number };

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (Number.isSafeInteger(c.s) && (c.s as number) >= 0) return { s: c.s as number };
    if (Number.isSafeInteger(c.w) && (c.f === null || typeof c.f === 'string')) return { f: c.f as string | null, w: c.w as number };
  } catch {
    // fall through
  }
  throw badRequest('cursor: not a cursor this API returned');
}

interface DeviceState {
  pull_seq?: number;
  last_since?: number;
  last_pull?: string;
  last_push?: string;
}

export async function readDevice(scope: AgentScope): Promise<DeviceState> {
  const out = await db().send(new GetCommand({ TableName: tableName(), Key: { pk: scope.pk, sk: deviceKey(scope.device) }, ConsistentRead: true }));
  return (out.Item ?? {}) as DeviceState;
}

/** Latest frontier observed at or before `time` (0 when none is that old). */
async function frontierAt(pk: string, time: number): Promise<number> {
  // a mark is keyed by the minute it was taken in, so only marks of minutes that ended by `time` are surely older
  const out = await db().send(new QueryCommand({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': pk, ':from': MARK_PREFIX, ':to': markKey(new Date(time - 60_000)) },
    ScanIndexForward: false,
    Limit: 1,
    ConsistentRead: true,
  }));
  return (out.Items?.[0]?.seq as number | undefined) ?? 0;
}

/**
 * Where an incremental pull starts (changes after the returned sequence):
 * - a cursor: exactly there;
 * - no cursor, no since: where this device (or API key) last stopped, else the beginning;
 * - a `since` (Kernle, from the client's clock): where this device last stopped when its `since`
 *   moved forward since its last pull (the same device continuing; its clock does not matter);
 *   otherwise (first pull with this key, or another device on the same key) the lower of that
 *   and the frontier the server had observed SINCE_MARGIN_MS before `since`.
 */
async function resolveStart(scope: AgentScope, request: PullRequest, device: DeviceState): Promise<{ after: number; since?: number }> {
  if (request.cursor) {
    const cursor = decodeCursor(request.cursor);
    if (!('s' in cursor)) throw badRequest('cursor: a full-pull cursor needs full: true');
    return { after: cursor.s };
  }
  if (request.since === undefined) return { after: device.pull_seq ?? 0 };
  const since = timestampMicros(request.since);
  if (since === undefined) throw badRequest(`since: not an ISO 8601 timestamp: ${request.since}`);
  if (device.pull_seq !== undefined && device.last_since !== undefined && since >= device.last_since) {
    return { after: device.pull_seq, since };
  }
  const mapped = await frontierAt(scope.pk, since / 1000 - SINCE_MARGIN_MS);
  return { after: Math.min(device.pull_seq ?? Infinity, mapped), since };
}

function toPulled(item: { seq: number; tbl?: string; rid?: string; del?: boolean; data?: string; lua?: string; ver?: unknown }): PulledChange {
  return {
    seq: item.seq,
    table: item.tbl as MemoryTable,
    record_id: item.rid!,
    deleted: item.del ?? false,
    data: item.data === undefined ? null : (JSON.parse(item.data) as Record<string, unknown>),
    local_updated_at: item.lua!,
    ...(item.ver !== undefined ? { version: item.ver } : {}),
  };
}

async function recordPull(scope: AgentScope, at: Date, pulledThrough: number, since: number | undefined): Promise<void> {
  const iso = at.toISOString();
  await Promise.all([
    db().send(new UpdateCommand({
      TableName: tableName(),
      Key: { pk: scope.pk, sk: deviceKey(scope.device) },
      UpdateExpression: `SET pull_seq = :seq, last_pull = :at${since !== undefined ? ', last_since = :since' : ''}`,
      ExpressionAttributeValues: { ':seq': pulledThrough, ':at': iso, ...(since !== undefined ? { ':since': since } : {}) },
    })),
    db().send(new UpdateCommand({
      TableName: tableName(),
      Key: { pk: scope.pk, sk: META_KEY },
      UpdateExpression: 'SET last_pull = :at',
      ExpressionAttributeValues: { ':at': iso },
    })),
  ]);
}

/** Remembers the frontier seen in this minute (the first one, the lowest), for mapping `since`. */
async function markFrontier(pk: string, at: Date, frontier: number): Promise<void> {
  try {
    await db().send(new PutCommand({
      TableName: tableName(),
      Item: { pk, sk: markKey(at), seq: frontier },
      ConditionExpression: 'attribute_not_exists(pk)',
    }));
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

async function pullIncremental(scope: AgentScope, request: PullRequest, limit: number): Promise<PullOutcome> {
  const serverTime = new Date();
  const device = await readDevice(scope);
  const start = await resolveStart(scope, request, device);
  const walk = await walkChanges(scope.pk, { after: start.after, maxChanges: limit, maxBytes: MAX_PAGE_BYTES, waitOnGaps: true });
  await Promise.all([
    recordPull(scope, serverTime, walk.through, start.since),
    raiseFrontierHint(scope.pk, walk.through),
    walk.hasMore ? undefined : markFrontier(scope.pk, serverTime, walk.through),
  ]);
  return { changes: walk.changes.map(toPulled), hasMore: walk.hasMore, cursor: encodeCursor({ s: walk.through }), serverTime };
}

/**
 * The current state of every live record, paged by record key. The snapshot is taken at a frontier
 * W fixed on the first page: every change up to W is reflected in the pages (or a newer state of the
 * record is); the last page's cursor continues incrementally after W, so nothing changed during
 * the paging is missed (a record changed meanwhile may come back once more as a change).
 */
async function pullFull(scope: AgentScope, request: PullRequest, limit: number): Promise<PullOutcome> {
  const serverTime = new Date();
  let after: string | null = null;
  let frontier: number;
  const cursor = request.cursor ? decodeCursor(request.cursor) : undefined;
  if (cursor && 'w' in cursor) {
    after = cursor.f;
    frontier = cursor.w;
  } else {
    frontier = await settledFrontier(scope.pk);
  }
  const records: PulledChange[] = [];
  let bytes = 0;
  let startKey: Record<string, unknown> | undefined = after ? { pk: scope.pk, sk: after } : undefined;
  let lastKey: string | null = after;
  let exhausted = false;
  while (records.length < limit && bytes < MAX_PAGE_BYTES) {
    const page = await db().send(new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'del = :false',
      ExpressionAttributeValues: { ':pk': scope.pk, ':prefix': RECORD_PREFIX, ':false': false },
      ConsistentRead: true,
      Limit: limit - records.length,
      ExclusiveStartKey: startKey,
    }));
    for (const item of (page.Items ?? []) as (ChangeItem & { sk: string })[]) {
      records.push(toPulled(item));
      bytes += (item.data?.length ?? 0) + 200;
    }
    startKey = page.LastEvaluatedKey;
    if (startKey) lastKey = startKey.sk as string;
    if (!startKey) {
      exhausted = true;
      break;
    }
  }
  if (exhausted) await recordPull(scope, serverTime, frontier, undefined);
  return {
    changes: records,
    hasMore: !exhausted,
    cursor: encodeCursor(exhausted ? { s: frontier } : { f: lastKey, w: frontier }),
    serverTime,
  };
}

export async function pullChanges(scope: AgentScope, request: PullRequest): Promise<PullOutcome> {
  const limit = request.limit ?? DEFAULT_PULL_LIMIT;
  if (request.full) return pullFull(scope, request, limit);
  return pullIncremental(scope, request, limit);
}
