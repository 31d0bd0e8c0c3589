import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ScopeRef } from './scope';
import { STATUS_COUNT_LIMIT, allocatedUpTo, countAfter, raiseFrontierHint, readFrontierHint, walkChanges } from './changelog';
import { db, META_KEY, tableName } from './store';
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
    db().send(new GetCommand({ TableName: tableName(), Key: { pk: scope.pk, sk: META_KEY }, ConsistentRead: true })),
    allocatedUpTo(scope.pk),
    readFrontierHint(scope.pk),
  ]);
  const [counted, settled] = await Promise.all([
    countAfter(scope.pk, position.pull_seq ?? 0),
    walkChanges(scope.pk, { after: hint, maxChanges: STATUS_COUNT_LIMIT, maxBytes: Infinity, fields: 'keys' }),
  ]);
  await raiseFrontierHint(scope.pk, settled.through);
  const pending = Math.max(0, allocated - settled.through);
  return {
    agent_id: scope.agent,
    pending_operations: pending,
    last_push: (meta.Item?.last_push as string | undefined) ?? null,
    last_pull: position.last_pull ?? null,
    remote_changes_available: counted.changes,
    remote_changes_capped: counted.capped,
    status: pending > 0 ? 'syncing' : 'connected',
  };
}
