/**
 * Functions that are not behind the API: scheduled sweeps and stream consumers. Like the route
 * table, the stateless stack creates one function per row with exactly the access it lists.
 */
import type { Access } from './routes';
import type { TableId } from './kit/data-model';

export type Trigger =
  /** EventBridge schedule expression, e.g. `rate(5 minutes)`. */
  | { schedule: string }
  /** DynamoDB stream of a table defined with `stream` in lambdas/kit/data-model.ts. */
  | StreamTrigger;

export interface StreamTrigger {
  stream: TableId;
  /** Lambda event filter patterns (any one matches): records that match none never invoke the function. */
  filters: Record<string, unknown>[];
  /** Records per invocation at most. */
  batchSize: number;
}

export interface Job {
  /** Module under lambdas/, without extension; it exports `handler`. */
  handler: string;
  description: string;
  trigger: Trigger;
  access: Access;
  /** Lambda timeout (default 5 minutes). */
  timeoutSeconds?: number;
  /** Settings of the kit (lambdas/kit/config.ts) this job depends on. */
  environment?: Record<string, string>;
}

/** A background fetch of a `fileUrl` may take this long (SATCHEL_FETCH_TIMEOUT_SECONDS, set on its job). */
export const BACKGROUND_FETCH_DEADLINE_SECONDS = 300;

/** A scoped item's entry removed by DynamoDB's TTL (its old image names the bytes and index documents). */
const itemRemovedByTtl = {
  eventName: ['REMOVE'],
  userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
  dynamodb: { OldImage: { itemId: { S: [{ exists: true }] } } },
};
/** A scoped item accepted for background work: a `fileUrl` to fetch, or stored text too long to index within the request. */
const itemPendingIngestion = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { NewImage: { status: { S: ['pending'] } } },
};

export const JOBS: Job[] = [
  // rows are added by the surfaces that need them (item expiry clean-up, sandbox expiry, …)
  {
    handler: 'files/expire-sandboxes',
    description: 'Stops sandboxes past their expiry; terminates (removes the Desktop of) sandboxes stopped longer than the retention',
    trigger: { schedule: 'rate(5 minutes)' },
    access: { tables: { deployments: 'write' }, sandbox: true },
  },
  {
    handler: 'items/sweep-expired-items',
    description: 'Scoped items: deletes expired entries with their bytes and index documents (DynamoDB TTL may lag by days)',
    trigger: { schedule: 'rate(15 minutes)' },
    access: { tables: { manifests: 'write' }, bucket: 'write', search: 'write' },
  },
  {
    handler: 'items/process-manifest-changes',
    description: 'Scoped items: cleans up after TTL deletions; fetches fileUrl items and indexes large items accepted for background work',
    trigger: { stream: 'manifests', filters: [itemRemovedByTtl, itemPendingIngestion], batchSize: 10 },
    access: { tables: { manifests: 'write' }, bucket: 'write', search: 'write', embed: true },
    // Lambda's maximum, three fetch deadlines: a slow fetch cannot time out the batch it is in.
    timeoutSeconds: 900,
    environment: { SATCHEL_FETCH_TIMEOUT_SECONDS: String(BACKGROUND_FETCH_DEADLINE_SECONDS) },
  },
];
