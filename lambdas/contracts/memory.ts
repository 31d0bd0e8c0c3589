import * as z from 'zod';
import { contract } from './contract';
import { hasControlCharacter } from '../shared/path-rules';

/** The memory tables of seed 001. */
export const MEMORY_TABLES = [
  'episodes',
  'beliefs',
  'notes',
  'agent_values',
  'goals',
  'drives',
  'relationships',
  'playbooks',
  'raw_entries',
  'checkpoints',
] as const;

export type MemoryTable = (typeof MEMORY_TABLES)[number];

/** Push bodies carry up to 1,000 records; the kit's default 1 MiB would refuse a full batch of ordinary records. */
export const MEMORY_MAX_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_PUSH_OPERATIONS = 1000;

const id = z
  .string()
  .min(1)
  .max(256)
  .refine((value) => !hasControlCharacter(value, { c1: false }), 'must not contain control characters');
/**
 * `stack_id` is the shipping Kernle client's name for `agent_id`. `device_id` names the calling
 * device: only a named device gets a server-side pull position.
 */
const agentIds = {
  agent_id: id.optional().describe('The agent whose memory this is (default: the agent of an agent-bound key)'),
  stack_id: id.optional().describe('Alias of agent_id (the Kernle client)'),
  device_id: id
    .nullish()
    .describe('This device: a named device keeps a pull position on the server, used when it pulls without since and cursor'),
};

/**
 * One operation as clients send it; the service checks them one by one, so a bad operation fails
 * alone (it also checks the record id's UTF-8 length and the JSON of data and version).
 */
export const memoryOperation = z.object({
  table: z.string().min(1).max(64),
  record_id: z
    .string()
    .min(1)
    .refine((recordId) => !hasControlCharacter(recordId, { c1: false }), 'must not contain control characters')
    .refine((recordId) => !/\p{Cs}/u.test(recordId), 'must be valid Unicode (no lone surrogates)'),
  operation: z.enum(['upsert', 'update', 'insert', 'delete']),
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  local_updated_at: z.string().nullish(),
  version: z.unknown().optional(),
});

const operations = z.array(z.unknown()).max(MAX_PUSH_OPERATIONS, `at most ${MAX_PUSH_OPERATIONS} operations per request; split the batch`);

/** Clients send `null` for "none" (Kernle's first `sync full` sends `since: null`). */
const pullOptions = {
  since: z.string().max(64).nullish(),
  cursor: z.string().max(2048).nullish(),
  limit: z.number().int().min(1).max(5000).nullish(),
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
    remote_changes_capped: z.boolean(),
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
  // each operation's data is checked on its own and refused in its result (docs/memory.md)
  maxBodyNesting: Number.POSITIVE_INFINITY,
});

export const syncPull = contract({
  surface: 'memory',
  summary: 'Pull changes in server order (cursor paging), or every live record with full: true',
  body: z.object({ ...agentIds, ...pullOptions, full: z.boolean().nullish() }),
  response: z.object({
    pulled: z.number(),
    tables: z.record(z.string(), z.number()),
    last_sync: z.string(),
    server_time: z.string(),
    has_more: z.boolean(),
    cursor: z.string(),
    full_resync: z.boolean(),
    operations: z.array(pulledOperation).optional(),
  }),
});

export const syncFull = contract({
  surface: 'memory',
  summary: 'Pull then push in one call',
  // an agent-bound key may send no body at all (seed 001 shows none)
  body: z.object({ ...agentIds, ...pullOptions, operations: operations.optional() }).default({}),
  response: z.object({
    pull: z.object({
      records: z.number(),
      tables: z.array(z.string()),
      operations: z.array(pulledOperation),
      has_more: z.boolean(),
      cursor: z.string(),
      full_resync: z.boolean(),
    }),
    push: z.object({ records: z.number(), tables: z.array(z.string()), failed: z.number(), results: z.array(pushResult) }),
    conflicts_resolved: z.number(),
    sync_completed_at: z.string(),
  }),
  maxBodyBytes: MEMORY_MAX_BODY_BYTES,
  // each operation's data is checked on its own and refused in its result (docs/memory.md)
  maxBodyNesting: Number.POSITIVE_INFINITY,
});
