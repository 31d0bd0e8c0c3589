import type { ScopeRef } from './scope';
import { STATUS_COUNT_LIMIT, walkChanges } from './changelog';
import { allocatedUpTo, countChangesAfter, raiseFrontierHint, readFrontierHint, readPosition as readItemPosition } from './store';
import { readPosition } from './pull';

export interface SyncStatus {
  agent_id: string;
  /** Sequence numbers taken by writers and not yet settled (writes in flight right now). */
  pending_operations: number;
  /** Last push accepted for this agent, from any device. */
  last_push: string | null;
  /** Last pull of the named device, else of any device of the agent. */
  last_pull: string | null;
  /** Committed changes after that pull's position, counted up to STATUS_COUNT_LIMIT. */
  remote_changes_available: number;
  /** `remote_changes_available` stopped counting at the limit: there may be more. */
  remote_changes_capped: boolean;
  /** `syncing` while writes are in flight, else `connected`. */
  status: 'connected' | 'syncing';
}

/** Constant work per call: a few single-item reads and two queries of bounded length, whatever the log holds. */
export async function syncStatus(scope: ScopeRef): Promise<SyncStatus> {
  const [position, meta, allocated, hint] = await Promise.all([
    readPosition(scope),
    readItemPosition(scope.pk, undefined),
    allocatedUpTo(scope.pk),
    readFrontierHint(scope.pk),
  ]);
  const [counted, settled] = await Promise.all([
    countChangesAfter(scope.pk, position.pull_seq ?? 0, STATUS_COUNT_LIMIT),
    walkChanges(scope.pk, { after: hint, maxChanges: STATUS_COUNT_LIMIT, maxBytes: Infinity, fields: 'keys' }),
  ]);
  await raiseFrontierHint(scope.pk, settled.through);
  const pending = Math.max(0, allocated - settled.through);
  return {
    agent_id: scope.agent,
    pending_operations: pending,
    last_push: meta.last_push ?? null,
    last_pull: position.last_pull ?? null,
    remote_changes_available: counted.changes,
    remote_changes_capped: counted.capped,
    status: pending > 0 ? 'syncing' : 'connected',
  };
}
