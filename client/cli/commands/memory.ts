import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { agentFrom, withAgent } from '../agent';
import { connectFrom, printJson, withConnection, type ConnectionFlags } from '../connection';
import { deviceId } from '../device';
import { plural } from '../progress';
import { MAX_PUSH_OPERATIONS } from '../../../lambdas/contracts/memory';
import type { MemoryOperation } from '../../sdk';
import type { SyncPushResult } from '../../sdk/memory';

/** `satchel memory status|push|pull`: an agent's memory records (seed 001). */

interface Options extends ConnectionFlags {
  device?: string;
}

const withIds = (command: Command): Command =>
  withAgent(withConnection(command), 'agent whose memory this is').option(
    '-d, --device <id>',
    'this device (default $SATCHEL_DEVICE_ID, else an id kept for this machine)',
  );

/** Pulls and status are this device's; a push names the device only when asked (no position moves on a push). */
const ids = (o: Options, command: Command, ownDevice = true) => ({
  agent_id: agentFrom(command),
  device_id: ownDevice ? deviceId(o.device) : o.device || process.env.SATCHEL_DEVICE_ID || undefined,
});

/** Fails the command when any operation failed: its results were printed, this is the one-line summary. */
function failIfAny(result: SyncPushResult, total: number): void {
  const errors = result.results.filter((r) => r.status === 'error');
  if (!errors.length) return;
  const first = errors.slice(0, 3).map((r) => `${r.table}/${r.record_id}: ${r.error ?? 'failed'}`);
  throw new Error(`${errors.length} of ${plural(total, 'operation')} failed (${first.join('; ')}${errors.length > 3 ? '; …' : ''})`);
}

export function registerMemory(program: Command): void {
  const memory = program.command('memory').description('Agent memory: push and pull records, last-write-wins');

  withIds(memory.command('status'))
    .description('Sync status of the agent, relative to this device')
    .action(async (o: Options, command: Command) => printJson(await connectFrom(command).syncStatus(ids(o, command))));

  withIds(memory.command('push [file]'))
    .description('Push operations from a JSON file or stdin: an array of {table, record_id, operation, data, local_updated_at}')
    .action(async (file: string | undefined, o: Options, command: Command) => {
      const text = readFileSync(file && file !== '-' ? file : 0, 'utf8');
      let parsed: MemoryOperation[] | { operations: MemoryOperation[] };
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch (error) {
        throw new Error(`${file && file !== '-' ? file : 'stdin'} is not valid JSON: ${(error as Error).message}`);
      }
      const operations = Array.isArray(parsed) ? parsed : parsed.operations;
      if (!Array.isArray(operations)) throw new Error('the operations file must hold a JSON array of operations, or {"operations": [...]}');
      const client = connectFrom(command);
      // a call carries at most MAX_PUSH_OPERATIONS, and the server may take fewer (it says how many
      // remain): each call sends the next ones not taken yet
      let result: SyncPushResult | undefined;
      let sent = 0;
      do {
        const batch = operations.slice(sent, sent + MAX_PUSH_OPERATIONS);
        const next = await client.syncPush({ ...ids(o, command, false), operations: batch });
        const taken = batch.length - next.remaining;
        if (batch.length && taken <= 0)
          throw new Error(`the server took none of the last ${plural(operations.length - sent, 'operation')}; nothing more was sent`);
        sent += taken;
        result = result
          ? {
              ...next,
              pushed: result.pushed + next.pushed,
              failed: result.failed + next.failed,
              conflicts: result.conflicts + next.conflicts,
              results: [...result.results, ...next.results],
            }
          : next;
      } while (sent < operations.length);
      printJson(result);
      failIfAny(result, operations.length);
    });

  withIds(memory.command('pull'))
    .description(
      "Pull the changes since this device's last pull (or --cursor), or every live record with --full; " +
        'prints them and the cursor to resume from',
    )
    .option('--full', 'every live record instead of changes')
    .option('--cursor <cursor>', 'resume after this cursor')
    .action(async (o: Options & { full?: boolean; cursor?: string }, command: Command) => {
      const operations: unknown[] = [];
      let cursor = o.cursor;
      let fullResync = false;
      const progress = process.stderr.isTTY;
      for await (const page of connectFrom(command).pullAll({ ...ids(o, command), full: o.full, cursor })) {
        operations.push(...(page.operations ?? []));
        cursor = page.cursor;
        fullResync ||= page.full_resync;
        if (progress && page.has_more) process.stderr.write(`\rpulled ${plural(operations.length, 'record')}…`);
      }
      if (progress && operations.length) process.stderr.write('\r\x1b[K');
      // full_resync: this device was away longer than the server keeps its change log; what it has that is not here was deleted
      printJson({ pulled: operations.length, full_resync: fullResync, cursor, operations });
    });
}
