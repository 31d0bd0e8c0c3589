import { Command } from 'commander';
import { version } from '../../package.json';
import { registerDeployments } from './commands/deployments';
import { registerFiles } from './commands/files';
import { registerKeys } from './commands/keys';
import { registerItems } from './commands/items';
import { registerMcp } from './commands/mcp';
import { registerMemory } from './commands/memory';
import { registerSync } from './commands/sync';

/** `satchel`: the command line of the SDK. Each command group lives in client/cli/commands/ and registers itself here. */
export function buildProgram(): Command {
  const program = new Command()
    .name('satchel')
    .description('Durable storage for AI agents: keys, workspace sync, memory, items, deployment files')
    .version(version, '-V, --version', 'print the version of satchel')
    // wraps descriptions even beside long command names (commander's own minimum is 40 columns)
    .configureHelp({ minWidthToWrap: 20 })
    .showHelpAfterError('(add --help for usage)');

  registerDeployments(program);
  registerFiles(program);
  registerKeys(program);
  registerItems(program);
  registerMcp(program);
  registerMemory(program);
  registerSync(program);
  return program;
}
