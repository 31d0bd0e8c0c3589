/**
 * Functions that are not behind the API: scheduled sweeps and stream consumers. Like the route
 * table, the stateless stack creates one function per row with exactly the access it lists.
 */
import type { Access } from './routes';
import type { TableId } from './data-model';

export type Trigger =
  /** EventBridge schedule expression, e.g. `rate(5 minutes)`. */
  | { schedule: string }
  /** DynamoDB stream of a table defined with `stream` in lib/data-model.ts. */
  | { stream: TableId };

export interface Job {
  /** Module under lambdas/, without extension; it exports `handler`. */
  handler: string;
  description: string;
  trigger: Trigger;
  access: Access;
}

export const JOBS: Job[] = [
  // rows are added by the surfaces that need them (item expiry clean-up, sandbox expiry, …)
  {
    handler: 'files/expire-sandboxes',
    description: 'Stops sandboxes past their expiry; terminates (removes the Desktop of) sandboxes stopped longer than the retention',
    trigger: { schedule: 'rate(5 minutes)' },
    access: { tables: { deployments: 'write' }, sandbox: true },
  },
  {
    handler: 'items/sweep-expired',
    description: 'Scoped items: deletes expired entries with their bytes and index documents (DynamoDB TTL may lag by days)',
    trigger: { schedule: 'rate(15 minutes)' },
    access: { tables: { manifests: 'write' }, bucket: 'write', search: 'write' },
  },
  {
    handler: 'items/on-manifests-change',
    description: 'Scoped items: cleans up after TTL deletions; fetches and indexes fileUrl items accepted for background ingestion',
    trigger: { stream: 'manifests' },
    access: { tables: { manifests: 'write' }, bucket: 'write', search: 'write', embed: true },
  },
];
