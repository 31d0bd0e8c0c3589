import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { connectFrom, printJson, withConnection, type ConnectionFlags } from '../connection';
import type { MemoryOperation } from '../../sdk';

/** `satchel memory status|push|pull`: an agent's memory records (seed 001). */

interface Options extends ConnectionFlags {
  agent?: string;
  device?: string;
}

function withAgent(command: Command): Command {
  return withConnection(command)
    .option('-a, --agent <id>', 'agent id (optional with an agent-bound key)')
    .option('-d, --device <id>', 'device whose pull cursor to use (default: this API key)');
}

const ids = (o: Options) => ({ agent_id: o.agent, device_id: o.device });

export function registerMemory(program: Command): void {
  const memory = program.command('memory').description('Agent memory: push and pull records, last-write-wins');

  withAgent(memory.command('status'))
    .description('Sync status of the agent, relative to this key or device')
    .action(async (o: Options, command: Command) => printJson(await connectFrom(command).syncStatus(ids(o))));

  withAgent(memory.command('push [file]'))
    .description('Push operations from a JSON file or stdin: an array of {table, record_id, operation, data, local_updated_at}')
    .action(async (file: string | undefined, o: Options, command: Command) => {
      const parsed = JSON.parse(readFileSync(file && file !== '-' ? file : 0, 'utf8')) as MemoryOperation[] | { operations: MemoryOperation[] };
      const operations = Array.isArray(parsed) ? parsed : parsed.operations;
      printJson(await connectFrom(command).syncPush({ ...ids(o), operations }));
    });

  withAgent(memory.command('pull'))
    .description('Pull every change after the last pull (or --cursor), or every live record with --full; prints them and the cursor to resume from')
    .option('--full', 'every live record instead of changes')
    .option('--cursor <cursor>', 'resume after this cursor')
    .action(async (o: Options & { full?: boolean; cursor?: string }, command: Command) => {
      const operations: unknown[] = [];
      let cursor = o.cursor;
      for await (const page of connectFrom(command).pullAll({ ...ids(o), full: o.full, cursor })) {
        operations.push(...(page.operations ?? []));
        cursor = page.cursor;
      }
      printJson({ pulled: operations.length, cursor, operations });
    });
}
