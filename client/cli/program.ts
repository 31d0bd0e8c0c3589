import { Command } from 'commander';
import { version } from '../../package.json';

type Register = (program: Command) => void;

/**
 * The command groups, each in client/cli/commands/, required only when the command line names
 * it: a `sync push` does not load the MCP server, the zod schemas, the items or files commands.
 */
const GROUPS: Record<string, () => Register> = {
  deployments: () => (require('./commands/deployments') as typeof import('./commands/deployments')).registerDeployments,
  files: () => (require('./commands/files') as typeof import('./commands/files')).registerFiles,
  keys: () => (require('./commands/keys') as typeof import('./commands/keys')).registerKeys,
  items: () => (require('./commands/items') as typeof import('./commands/items')).registerItems,
  mcp: () => (require('./commands/mcp') as typeof import('./commands/mcp')).registerMcp,
  memory: () => (require('./commands/memory') as typeof import('./commands/memory')).registerMemory,
  sync: () => (require('./commands/sync') as typeof import('./commands/sync')).registerSync,
};

/**
 * `satchel`: the command line of the SDK. Given the process's `argv`, only the group it names is
 * registered (every group when it names none or an unknown one, for help and suggestions).
 */
export function buildProgram(argv?: string[]): Command {
  const program = new Command()
    .name('satchel')
    .description('Durable storage for AI agents: keys, workspace sync, memory, items, deployment files')
    .version(version, '-V, --version', 'print the version of satchel')
    // wraps descriptions even beside long command names (commander's own minimum is 40 columns)
    .configureHelp({ minWidthToWrap: 20 })
    .showHelpAfterError('(add --help for usage)');

  // the root command has options but takes no values, so the first other word names the group
  const named = argv?.slice(2).find((word) => !word.startsWith('-'));
  const groups = named !== undefined && Object.hasOwn(GROUPS, named) ? [named] : Object.keys(GROUPS);
  for (const name of groups) GROUPS[name]()(program);
  return program;
}
