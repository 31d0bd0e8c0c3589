import { Command } from 'commander';
import { registerDeployments } from './commands/deployments';
import { registerFiles } from './commands/files';
import { registerKeys } from './commands/keys';
import { registerItems } from './commands/items';
import { registerMemory } from './commands/memory';
import { registerSync } from './commands/sync';

/** `satchel`: the command line of the SDK. Each command group lives in client/cli/commands/. */
const program = new Command()
  .name('satchel')
  .description('Durable storage for AI agents: keys, workspace sync, memory, items, deployment files')
  .showHelpAfterError();

// command groups register themselves here
registerDeployments(program);
registerFiles(program);
registerKeys(program);
registerItems(program);
registerMemory(program);
registerSync(program);

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`satchel: ${error.message}`);
  process.exit(1);
});
