import { config } from '../../kit/config';
import { badRequest } from '../../kit/errors';
import type { ScopeRef } from './scope';
import { settledFrontier, walkChanges } from './changelog';
import { removeOldMarks } from './compaction';
import { decodeCursor, encodeCursor, type Cursor } from './cursor';
import {
  frontierAt,
  liveRecordPages,
  type Position,
  putMark,
  raiseFrontierHint,
  readHorizon,
  readPosition as readItemPosition,
  recordTimes,
} from './store';
import { timestampMicros } from './records';
import type { MemoryTable } from '../../contracts/memory';

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
  cursor?: string | null;
  /** ISO timestamp of the client's clock (Kernle): mapped onto the change log with a safety margin. */
  since?: string | null;
  full?: boolean | null;
  limit?: number | null;
}

export interface PullOutcome {
  changes: PulledChange[];
  hasMore: boolean;
  cursor: string;
  serverTime: Date;
  /** The answer is (a page of) a full snapshot: the pull started before the compacted part of the log. */
  fullResync: boolean;
}

export const DEFAULT_PULL_LIMIT = 1000;
export const MAX_PULL_LIMIT = 5000;
/** Keeps a page well under Lambda's 6 MB response limit. */
const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/** A named device's position and last pull; an unnamed caller has none. */
export const readPosition = (scope: ScopeRef): Promise<Position> => readItemPosition(scope.pk, scope.device);

/** `verj` holds the client's version as JSON; records written before it hold `ver` as a DynamoDB value. */
function toPulled(item: {
  seq: number;
  tbl?: string;
  rid?: string;
  del?: boolean;
  data?: string;
  lua?: string;
  ver?: unknown;
  verj?: string;
}): PulledChange {
  const version = item.verj !== undefined ? JSON.parse(item.verj) : item.ver;
  return {
    seq: item.seq,
    table: item.tbl as MemoryTable,
    record_id: item.rid!,
    deleted: item.del ?? false,
    data: item.data === undefined ? null : (JSON.parse(item.data) as Record<string, unknown>),
    local_updated_at: item.lua!,
    ...(version !== undefined ? { version } : {}),
  };
}

/**
 * Remembers where a pull ended: for a named device, its own position (used when it next pulls
 * without `since` and `cursor`); for the agent, the last pull of any device (status).
 */
async function recordPull(scope: ScopeRef, at: Date, through: number): Promise<void> {
  await recordTimes(scope.pk, scope.device, { pull_seq: through, last_pull: at.toISOString() });
}

/** Remembers the frontier seen in this minute (the first one, the lowest), for mapping `since`. */
async function markFrontier(pk: string, at: Date, frontier: number): Promise<void> {
  // the first mark of a minute: the moment to forget marks older than any since still served
  if (await putMark(pk, at, frontier)) await removeOldMarks(pk, at.getTime());
}

/**
 * Where an incremental pull starts (changes after the returned sequence). Positions belong to
 * the client: a cursor is followed exactly; a `since` (the client's clock) maps onto the frontier
 * the server recorded a safety margin before it (a `since` ahead of the server counts as now);
 * neither: the beginning, or where a named device last stopped.
 */
async function resolveStart(scope: ScopeRef, request: PullRequest, serverTime: Date): Promise<number> {
  if (request.since !== undefined && request.since !== null) {
    const since = timestampMicros(request.since);
    if (since === undefined) throw badRequest(`since: not an ISO 8601 timestamp: ${request.since}`);
    return frontierAt(scope.pk, Math.min(since / 1000, serverTime.getTime()) - config.memorySinceMarginMs);
  }
  if (!scope.device) return 0;
  return (await readPosition(scope)).pull_seq ?? 0;
}

/** One page of changes after `after`, in sequence order. */
async function changesAfter(scope: ScopeRef, after: number, limit: number, maxBytes: number) {
  const walk = await walkChanges(scope.pk, { after, maxChanges: limit, maxBytes, waitOnGaps: true });
  return { changes: walk.changes.map(toPulled), through: walk.through, hasMore: walk.hasMore };
}

/**
 * A page of the current state of every live record, paged by record key, anchored at the
 * frontier W fixed on the first page: every change up to W is reflected in the pages (or a newer
 * state of the record is). `f` (full: true): the last page's cursor continues incrementally after
 * W, each record comes once. `r` (full resync): the last page goes on with the changes after W.
 */
async function snapshotPage(
  scope: ScopeRef,
  kind: 'f' | 'r',
  from: { k: string | null; w: number } | undefined,
  limit: number,
): Promise<Omit<PullOutcome, 'serverTime' | 'fullResync'> & { through?: number }> {
  const frontier = from?.w ?? (await settledFrontier(scope.pk));
  const records: PulledChange[] = [];
  let bytes = 0;
  let lastKey = from?.k ?? null;
  const live = liveRecordPages(scope.pk, from?.k ?? undefined, () => limit - records.length);
  for await (const page of records.length < limit ? live : []) {
    for (const item of page.items) {
      records.push(toPulled(item));
      bytes += (item.data?.length ?? 0) + 200;
    }
    if (!page.lastKey) {
      if (kind === 'f')
        return { changes: records, hasMore: false, cursor: encodeCursor(scope.pk, { kind: 'c', s: frontier }), through: frontier };
      const rest = await changesAfter(scope, frontier, Math.max(0, limit - records.length), MAX_PAGE_BYTES - bytes);
      return {
        changes: [...records, ...rest.changes],
        hasMore: rest.hasMore,
        cursor: encodeCursor(scope.pk, { kind: 'c', s: rest.through }),
        through: rest.through,
      };
    }
    lastKey = page.lastKey.sk as string;
    if (records.length >= limit || bytes >= MAX_PAGE_BYTES) break;
  }
  return { changes: records, hasMore: true, cursor: encodeCursor(scope.pk, { kind, k: lastKey, w: frontier }) };
}

async function pull(scope: ScopeRef, request: PullRequest, limit: number, serverTime: Date) {
  const cursor = request.cursor ? decodeCursor(scope.pk, request.cursor) : undefined;
  if (request.full) {
    if (cursor && cursor.kind !== 'f') throw badRequest('cursor: this cursor continues a pull without full; send it without full: true');
    return { ...(await snapshotPage(scope, 'f', cursor as (Cursor & { kind: 'f' }) | undefined, limit)), fullResync: false };
  }
  if (cursor?.kind === 'f') throw badRequest('cursor: a full-pull cursor needs full: true');
  if (cursor?.kind === 'r') return { ...(await snapshotPage(scope, 'r', cursor, limit)), fullResync: true };
  const [after, horizon] = await Promise.all([
    cursor?.kind === 'c' ? cursor.s : resolveStart(scope, request, serverTime),
    readHorizon(scope.pk),
  ]);
  const resync = async () => ({ ...(await snapshotPage(scope, 'r', undefined, limit)), fullResync: true });
  if (after < horizon) return resync();
  const page = await changesAfter(scope, after, limit, MAX_PAGE_BYTES);
  // compaction may have passed our start while we walked: what it removed cannot be replayed
  if ((await readHorizon(scope.pk)) > after) return resync();
  return {
    changes: page.changes,
    hasMore: page.hasMore,
    cursor: encodeCursor(scope.pk, { kind: 'c', s: page.through }),
    through: page.through,
    fullResync: false,
  };
}

export async function pullChanges(scope: ScopeRef, request: PullRequest, defaultLimit = DEFAULT_PULL_LIMIT): Promise<PullOutcome> {
  const serverTime = new Date();
  const outcome = await pull(scope, request, request.limit ?? defaultLimit, serverTime);
  if (outcome.through !== undefined) {
    await Promise.all([
      recordPull(scope, serverTime, outcome.through),
      raiseFrontierHint(scope.pk, outcome.through),
      outcome.hasMore ? undefined : markFrontier(scope.pk, serverTime, outcome.through),
    ]);
  }
  return { changes: outcome.changes, hasMore: outcome.hasMore, cursor: outcome.cursor, serverTime, fullResync: outcome.fullResync };
}
