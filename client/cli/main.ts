import { Command } from 'commander';
import { registerSync } from './commands/sync';

/** `satchel`: the command line of the SDK. Each command group lives in client/cli/commands/. */
const program = new Command()
  .name('satchel')
  .description('Durable storage for AI agents: keys, workspace sync, memory, items, deployment files')
  .showHelpAfterError();

// command groups register themselves here, e.g. registerKeys(program)
registerSync(program);

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`satchel: ${error.message}`);
  process.exit(1);
});
