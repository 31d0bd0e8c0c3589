import * as z from 'zod';
import * as contracts from '../../../lambdas/contracts/memory';
import { MEMORY_TABLES } from '../../../lambdas/contracts/memory';
import { READ_ONLY, tool, WRITES, type ToolContext } from '../tool';

/** Memory sync (seed 001): an agent's long-term memory records, last-write-wins per record. */

const AGENT_HELP = 'agent_id names the agent (optional with an agent-bound key or when the server was started with SATCHEL_AGENT).';

/** `stack_id` is only the Kernle client's alias of agent_id: a model needs one name for the agent. */
const withAgent = <A extends { agent_id?: string }>(args: A, context: ToolContext) => ({
  ...args,
  agent_id: args.agent_id ?? context.agent,
});

const operation = contracts.memoryOperation.extend({
  table: contracts.memoryOperation.shape.table.describe(`One of: ${MEMORY_TABLES.join(', ')}`),
  local_updated_at: contracts.memoryOperation.shape.local_updated_at.describe(
    'ISO 8601 time of the local change (here or in data); the later write of a record wins',
  ),
});
const pushInput = contracts.syncPush.body.omit({ stack_id: true }).extend({
  operations: z.array(operation).min(1).max(contracts.MAX_PUSH_OPERATIONS),
});

export const MEMORY_TOOLS = [
  tool({
    name: 'memory_status',
    title: 'Memory sync status',
    description:
      "Shows an agent's memory sync state relative to this caller: when it last pushed and pulled, and how many changes from other " +
      `devices are waiting to be pulled (remote_changes_available). Use it to decide whether memory_pull has anything new. ${AGENT_HELP}`,
    input: contracts.syncStatus.query.omit({ stack_id: true }),
    output: contracts.syncStatus.response,
    annotations: READ_ONLY,
    async run(args, context) {
      const data = await context.client.syncStatus(withAgent(args, context));
      return {
        data,
        text: `agent ${data.agent_id}: ${data.remote_changes_available} change(s) to pull; last push ${data.last_push ?? 'never'}, last pull ${data.last_pull ?? 'never'}`,
      };
    },
  }),
  tool({
    name: 'memory_push',
    title: 'Push memory records',
    description:
      `Saves memory records (at most ${contracts.MAX_PUSH_OPERATIONS} per call) in the agent's memory tables: ${MEMORY_TABLES.join(', ')}. ` +
      'Each operation is {table, record_id, operation: upsert|update|insert|delete, data (the record, an object; not for delete), ' +
      'local_updated_at (ISO 8601)}. Per record the write with the later local_updated_at wins; an older one comes back as a conflict ' +
      `and changes nothing. Results list each record's status (synced, conflict or error with the reason). ${AGENT_HELP}`,
    input: pushInput,
    output: contracts.syncPush.response,
    annotations: { ...WRITES, idempotentHint: true },
    async run(args, context) {
      const data = await context.client.syncPush(withAgent(args, context));
      return { data, text: `pushed ${data.pushed}, conflicts ${data.conflicts}, failed ${data.failed}, remaining ${data.remaining}` };
    },
  }),
  tool({
    name: 'memory_pull',
    title: 'Pull memory changes',
    description:
      "Reads the changes to an agent's memory records in server order, one page per call: after cursor, else where this device_id " +
      'last stopped, else from the beginning; or every live record with full: true. When has_more is true, call again with the ' +
      'returned cursor; full_resync: true means the page is a full snapshot (records missing from it were deleted). Each operation ' +
      `carries table, record_id, operation (upsert or delete), data and local_updated_at. limit: records per page (at most 5000). ${AGENT_HELP}`,
    input: contracts.syncPull.body.omit({ stack_id: true }),
    output: contracts.syncPull.response,
    // moves this caller's pull position
    annotations: WRITES,
    async run(args, context) {
      const data = await context.client.syncPull(withAgent(args, context));
      const tables = Object.entries(data.tables)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ');
      return {
        data,
        text: `${data.pulled} change(s)${tables ? ` (${tables})` : ''}; ${data.has_more ? 'more to pull: call again with' : 'up to date at'} cursor ${data.cursor}`,
      };
    },
  }),
];
