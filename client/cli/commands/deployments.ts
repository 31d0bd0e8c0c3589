import type { Command } from 'commander';
import type { Deployment } from '../../sdk/files';
import { connect, withConnection, type ConnectionFlags } from '../connection';

const describe = (d: Deployment) =>
  `${d.id}  ${d.status.padEnd(12)} ${d.name}\n  Desktop: ${d.sandbox.desktopPath}\n  expires: ${d.sandbox.expiresAt}`;

/** `satchel deployments create|list|stop`: the sandboxes deployment files go to. */
export function registerDeployments(program: Command): void {
  const deployments = program.command('deployments').description('Create, list and stop deployments (sandboxes with a Desktop folder)');

  withConnection(deployments.command('create <name>'))
    .description('Create a deployment; its sandbox Desktop is ready at once')
    .option('--duration <minutes>', 'minutes until the sandbox stops (1-1440, default 60)')
    .action(async (name: string, flags: ConnectionFlags & { duration?: string }) => {
      const durationMinutes = flags.duration === undefined ? undefined : Number(flags.duration);
      if (durationMinutes !== undefined && !Number.isInteger(durationMinutes))
        throw new Error('--duration must be a whole number of minutes');
      console.log(describe(await connect(flags).createDeployment({ name, durationMinutes })));
    });

  withConnection(deployments.command('list'))
    .description('List deployments, newest first')
    .action(async (flags: ConnectionFlags) => {
      const list = await connect(flags).listDeployments();
      if (!list.length) return console.log('No deployments yet: `satchel deployments create <name>` makes one.');
      for (const d of list) console.log(describe(d));
    });

  withConnection(deployments.command('stop <id>'))
    .description('Stop a deployment’s sandbox (its Desktop and files stay)')
    .action(async (id: string, flags: ConnectionFlags) => console.log(describe(await connect(flags).stopDeployment(id))));
}
