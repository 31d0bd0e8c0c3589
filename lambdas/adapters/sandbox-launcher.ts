import { ECSClient, RunTaskCommand, StopTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { config } from '../kit/config';

/**
 * Starts and stops the process that uses a sandbox's Desktop. In AWS with SANDBOX_LAUNCHER=ecs
 * that is a Fargate task mounting the same EFS folder at /home/user/Desktop; otherwise (the
 * default, and locally) there is nothing to start: the Desktop folder is the sandbox.
 */
export interface SandboxLauncher {
  /** Returns the task ARN when a task was started. */
  start(sandbox: { tenant: string; deploymentId: string; desktopSubpath: string }): Promise<string | undefined>;
  stop(taskArn: string, reason: string): Promise<void>;
}

type Send = (command: RunTaskCommand | StopTaskCommand) => Promise<{ tasks?: { taskArn?: string }[]; failures?: { reason?: string; arn?: string }[] }>;

export function runTaskInput(sandbox: { tenant: string; deploymentId: string; desktopSubpath: string }): RunTaskCommandInput {
  return {
    cluster: config.sandboxClusterArn,
    taskDefinition: config.sandboxTaskDefinitionArn,
    launchType: 'FARGATE',
    count: 1,
    startedBy: sandbox.deploymentId,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: config.sandboxSubnetIds,
        securityGroups: [config.sandboxSecurityGroupId],
        assignPublicIp: 'DISABLED',
      },
    },
    overrides: {
      containerOverrides: [
        {
          name: config.sandboxContainerName,
          environment: [
            { name: 'SATCHEL_TENANT', value: sandbox.tenant },
            { name: 'SATCHEL_DEPLOYMENT_ID', value: sandbox.deploymentId },
            { name: 'SATCHEL_DESKTOP_SUBPATH', value: sandbox.desktopSubpath },
          ],
        },
      ],
    },
    tags: [
      { key: 'satchel:tenant', value: sandbox.tenant },
      { key: 'satchel:deployment', value: sandbox.deploymentId },
    ],
  };
}

export function ecsLauncher(send: Send): SandboxLauncher {
  return {
    async start(sandbox) {
      const result = await send(new RunTaskCommand(runTaskInput(sandbox)));
      const taskArn = result.tasks?.[0]?.taskArn;
      if (!taskArn) {
        const reason = result.failures?.map((f) => f.reason).filter(Boolean).join('; ') || 'no task was started';
        throw new Error(`RunTask failed for ${sandbox.deploymentId}: ${reason}`);
      }
      return taskArn;
    },
    async stop(taskArn, reason) {
      await send(new StopTaskCommand({ cluster: config.sandboxClusterArn, task: taskArn, reason }));
    },
  };
}

const folderOnly: SandboxLauncher = {
  start: async () => undefined,
  stop: async () => undefined,
};

let launcher: SandboxLauncher | undefined;

export function sandboxLauncher(): SandboxLauncher {
  if (!launcher) {
    if (config.sandboxLauncher === 'ecs') {
      const client = new ECSClient({ region: config.region });
      launcher = ecsLauncher((command) => (command instanceof RunTaskCommand ? client.send(command) : client.send(command).then(() => ({}))));
    } else {
      launcher = folderOnly;
    }
  }
  return launcher;
}
