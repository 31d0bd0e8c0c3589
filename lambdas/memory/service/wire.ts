import { Reply } from '../../kit/reply';
import type { FullSyncOutcome } from './full';
import type { PullOutcome, PulledChange } from './pull';
import type { PushOutcome } from './push';
import { kernleTableName } from './records';

/**
 * The shipping Kernle client speaks an older shape of this API: it names the agent `stack_id` and
 * reads its answers at the top level of the body. Such requests get those fields beside the
 * seed's `{success, data}` envelope; records are sent once (at the top level for Kernle).
 */
export const isKernleShaped = (body: { stack_id?: string; agent_id?: string }): boolean =>
  body.stack_id !== undefined && body.agent_id === undefined;

export const seedOperation = (c: PulledChange) => ({
  seq: c.seq,
  table: c.table,
  record_id: c.record_id,
  operation: c.deleted ? ('delete' as const) : ('upsert' as const),
  data: c.data,
  local_updated_at: c.local_updated_at,
  ...(c.version !== undefined ? { version: c.version } : {}),
});

const kernleOperation = (c: PulledChange) => ({
  operation: c.deleted ? 'delete' : 'update',
  table: kernleTableName(c.table),
  record_id: c.record_id,
  data: c.data,
  local_updated_at: c.local_updated_at,
  version: c.version ?? null,
});

export function countByTable(changes: PulledChange[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of changes) counts[c.table] = (counts[c.table] ?? 0) + 1;
  return counts;
}

export function pushReply(kernle: boolean, outcome: PushOutcome): Reply {
  const data = {
    pushed: outcome.pushed,
    failed: outcome.failed,
    conflicts: outcome.conflicts,
    remaining: outcome.remaining,
    results: outcome.results,
  };
  if (!kernle) return Reply.ok(data);
  return Reply.ok(data, {
    topLevel: {
      synced: outcome.pushed,
      conflicts: outcome.results
        .filter((r) => r.status !== 'synced')
        .map((r) => ({ record_id: r.record_id, table: r.table, error: r.error })),
      // conflicts are final answers too: the server keeps the newer version, resending cannot change that
      acknowledged_operations: outcome.results.filter((r) => r.status !== 'error').map((r) => ({ table: r.table, record_id: r.record_id })),
    },
  });
}

export function pullReply(kernle: boolean, outcome: PullOutcome): Reply {
  const serverTime = outcome.serverTime.toISOString();
  const summary = {
    pulled: outcome.changes.length,
    tables: countByTable(outcome.changes),
    last_sync: serverTime,
    server_time: serverTime,
    has_more: outcome.hasMore,
    cursor: outcome.cursor,
    full_resync: outcome.fullResync,
  };
  if (!kernle) return Reply.ok({ ...summary, operations: outcome.changes.map(seedOperation) });
  return Reply.ok(summary, {
    topLevel: {
      operations: outcome.changes.map(kernleOperation),
      server_time: serverTime,
      has_more: outcome.hasMore,
      full_resync: outcome.fullResync,
    },
  });
}

export const fullReply = (result: FullSyncOutcome) => ({
  pull: {
    records: result.pull.changes.length,
    tables: Object.keys(countByTable(result.pull.changes)),
    operations: result.pull.changes.map(seedOperation),
    has_more: result.pull.hasMore,
    cursor: result.pull.cursor,
    full_resync: result.pull.fullResync,
  },
  push: { records: result.push.pushed, tables: result.push.tables, failed: result.push.failed, results: result.push.results },
  conflicts_resolved: result.push.conflicts,
  sync_completed_at: result.completedAt.toISOString(),
});
