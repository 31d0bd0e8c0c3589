import * as z from 'zod';
import { contract } from '../kit/contract';

/** Push bodies carry up to 1,000 records; the kit's default 1 MiB would refuse a full batch of ordinary records. */
export const MEMORY_MAX_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_PUSH_OPERATIONS = 1000;

const id = z.string().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');
/** `stack_id` is the shipping Kernle client's name for `agent_id`; `device_id` names whose pull cursor to use. */
const agentIds = {
  agent_id: id.optional().describe('The agent whose memory this is (default: the agent of an agent-bound key)'),
  stack_id: id.optional().describe('Alias of agent_id (the Kernle client)'),
  device_id: id.optional().describe("Whose pull position to use and move (default: the API key's own)"),
};

/** One operation as clients send it; the service checks them one by one, so a bad operation fails alone. */
export const memoryOperation = z.object({
  table: z.string().min(1).max(64),
  record_id: z.string().min(1).max(1024).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters'),
  operation: z.enum(['upsert', 'update', 'insert', 'delete']),
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  local_updated_at: z.string().nullish(),
  version: z.unknown().optional(),
});

const operations = z
  .array(z.unknown())
  .max(MAX_PUSH_OPERATIONS, `at most ${MAX_PUSH_OPERATIONS} operations per request; split the batch`);

const pullOptions = {
  since: z.string().max(64).optional(),
  cursor: z.string().max(2048).optional(),
  limit: z.number().int().min(1).max(5000).optional(),
};

const pushResult = z.object({
  record_id: z.string(),
  table: z.string(),
  status: z.enum(['synced', 'conflict', 'error']),
  remote_id: z.string().optional(),
  server_seq: z.number().optional(),
  server_local_updated_at: z.string().optional(),
  error: z.string().optional(),
});

const pulledOperation = z.object({
  seq: z.number(),
  table: z.string(),
  record_id: z.string(),
  operation: z.enum(['upsert', 'delete']),
  data: z.record(z.string(), z.unknown()).nullable(),
  local_updated_at: z.string(),
  version: z.unknown().optional(),
});

export const syncStatus = contract({
  surface: 'memory',
  summary: 'Sync status of an agent, relative to the caller (device or API key)',
  query: z.object(agentIds),
  response: z.object({
    agent_id: z.string(),
    pending_operations: z.number(),
    last_push: z.string().nullable(),
    last_pull: z.string().nullable(),
    remote_changes_available: z.number(),
    status: z.enum(['connected', 'syncing']),
  }),
});

export const syncPush = contract({
  surface: 'memory',
  summary: 'Push local changes (last-write-wins per record by local_updated_at)',
  body: z.object({ ...agentIds, operations, limit: z.number().int().min(1).max(MAX_PUSH_OPERATIONS).optional() }),
  response: z.object({
    pushed: z.number(),
    failed: z.number(),
    conflicts: z.number(),
    remaining: z.number(),
    results: z.array(pushResult),
  }),
  maxBodyBytes: MEMORY_MAX_BODY_BYTES,
});

export const syncPull = contract({
  surface: 'memory',
  summary: 'Pull changes in server order (cursor paging), or every live record with full: true',
  body: z.object({ ...agentIds, ...pullOptions, full: z.boolean().optional() }),
  response: z.object({
    pulled: z.number(),
    tables: z.record(z.string(), z.number()),
    last_sync: z.string(),
    server_time: z.string(),
    has_more: z.boolean(),
    cursor: z.string(),
    operations: z.array(pulledOperation).optional(),
  }),
});

export const syncFull = contract({
  surface: 'memory',
  summary: 'Pull then push in one call',
  body: z.object({ ...agentIds, ...pullOptions, operations: operations.optional() }),
  response: z.object({
    pull: z.object({ records: z.number(), tables: z.array(z.string()), operations: z.array(pulledOperation), has_more: z.boolean(), cursor: z.string() }),
    push: z.object({ records: z.number(), tables: z.array(z.string()), failed: z.number(), results: z.array(pushResult) }),
    conflicts_resolved: z.number(),
    sync_completed_at: z.string(),
  }),
  maxBodyBytes: MEMORY_MAX_BODY_BYTES,
});
