import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AgentScope } from './agent';
import { allocatedUpTo, countAfter } from './changelog';
import { META_KEY } from './keys';
import { readDevice } from './pull';
import { db, tableName } from './table';

export interface SyncStatus {
  agent_id: string;
  /** Writes the server has sequenced after the caller's cursor but not yet committed (in flight right now). */
  pending_operations: number;
  /** Last push accepted for this agent, from any device. */
  last_push: string | null;
  /** Last pull by the caller: the named device, else this API key. */
  last_pull: string | null;
  /** Committed changes after the caller's pull cursor: what its next incremental pull returns. */
  remote_changes_available: number;
  /** `syncing` while writes are in flight, else `connected`. */
  status: 'connected' | 'syncing';
}

export async function syncStatus(scope: AgentScope): Promise<SyncStatus> {
  const [device, meta, allocated] = await Promise.all([
    readDevice(scope),
    db().send(new GetCommand({ TableName: tableName(), Key: { pk: scope.pk, sk: META_KEY }, ConsistentRead: true })),
    allocatedUpTo(scope.pk),
  ]);
  const cursor = device.pull_seq ?? 0;
  const counted = await countAfter(scope.pk, cursor);
  const pending = Math.max(0, allocated - cursor - counted.changes - counted.voids);
  return {
    agent_id: scope.agent,
    pending_operations: pending,
    last_push: (meta.Item?.last_push as string | undefined) ?? null,
    last_pull: device.last_pull ?? null,
    remote_changes_available: counted.changes,
    status: pending > 0 ? 'syncing' : 'connected',
  };
}
