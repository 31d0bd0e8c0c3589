import type { Command } from 'commander';
import type { ApiKeyRecord } from '../../../lambdas/auth/service/keys';
import type { KeyTarget, TargetOptions } from '../../../local/key-target';
import { printTable } from '../table';

/**
 * Loaded by the keys commands only: they bring the DynamoDB and CloudFormation clients and the
 * local emulators, ~0.3 s of start-up every other command would pay.
 */
const keyStore = () => require('../../../lambdas/auth/service/keys') as typeof import('../../../lambdas/auth/service/keys');
const keyTarget = () => require('../../../local/key-target') as typeof import('../../../local/key-target');

/** `satchel keys create|list|revoke`: API keys of the local runtime (default) or of a deployed stack. */
export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('Create, list and revoke API keys (local runtime by default; --stack for a deployed one)')
    .option('--stack <name>', 'deployed stack whose outputs name the apiKeys table')
    .option('--region <region>', 'AWS region of the stack (default: AWS_REGION / your AWS profile)');

  keys
    .command('create')
    .description('Create an API key; the secret is printed once')
    .requiredOption('--tenant <tenant>', 'tenant the key belongs to')
    .option('--agent <agent>', 'bind the key to one agent (it may act for that agent only)')
    .option('--surfaces <list>', 'comma-separated surfaces the key may use (default: all)')
    .action((opts: { tenant: string; agent?: string; surfaces?: string }, command: Command) => {
      const surfaces = keyStore().parseSurfaces(opts.surfaces);
      return withTarget(command, async (target) => {
        const { key, record } = await target.store.create({ tenant: opts.tenant, agent: opts.agent, surfaces });
        console.log(`API key (shown once, store it now):\n  ${key}\n`);
        console.log(describe(record));
      });
    });

  keys
    .command('list')
    .description('List API keys (never their secrets)')
    .option('--tenant <tenant>', 'only the keys of this tenant')
    .action((opts: { tenant?: string }, command: Command) =>
      withTarget(command, async (target) => {
        const records = await target.store.list(opts.tenant);
        if (!records.length) return console.log(`No API keys${opts.tenant ? ` for tenant ${opts.tenant}` : ''} in ${target.where}.`);
        printKeys(records);
      }),
    );

  keys
    .command('revoke')
    .description('Revoke an API key by its id (see `keys list`)')
    .argument('<id>', 'key id, e.g. key_0123456789abcdef')
    .action((id: string, _opts: unknown, command: Command) =>
      withTarget(command, async (target) => {
        const revoked = await target.store.revoke(id);
        if (!revoked) throw new Error(`No key ${id} in ${target.where}: \`satchel keys list\` shows the key ids`);
        if (revoked.already) return console.log(`${id} was already revoked at ${revoked.revokedAt}; nothing changed.`);
        console.log(`Revoked ${id}; it stops working ${target.revokedWithin}.`);
      }),
    );
}

async function withTarget(command: Command, run: (target: KeyTarget) => Promise<void>): Promise<void> {
  const target = await keyTarget().openKeyTarget(command.optsWithGlobals<TargetOptions>(), (line) => console.error(line));
  try {
    await run(target);
  } finally {
    await target.close();
  }
}

function describe(record: ApiKeyRecord): string {
  return [
    `key id:   ${record.keyId}`,
    `tenant:   ${record.tenant}`,
    `agent:    ${record.agent ?? '(any)'}`,
    `surfaces: ${record.surfaces.join(', ')}`,
  ].join('\n');
}

function printKeys(records: ApiKeyRecord[]): void {
  printTable(
    ['KEY ID', 'TENANT', 'AGENT', 'SURFACES', 'CREATED', 'REVOKED'],
    records.map((r) => [r.keyId, r.tenant, r.agent ?? '-', r.surfaces.join(','), r.createdAt, r.revokedAt ?? '-']),
  );
}
