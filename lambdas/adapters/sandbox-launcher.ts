import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
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

type Command = DescribeTaskDefinitionCommand | RegisterTaskDefinitionCommand | RunTaskCommand | StopTaskCommand;
interface Answer {
  taskDefinition?: TaskDefinition;
  tasks?: { taskArn?: string }[];
  failures?: { reason?: string; arn?: string }[];
}
type Send = (command: Command) => Promise<Answer>;

/**
 * ECS can neither mount a sub-folder of a volume per container nor override volumes in RunTask, so
 * each sandbox runs its own revision of the base task definition whose EFS root is its own Desktop:
 * a sandbox never sees another deployment's (or tenant's) files.
 */
export function registerInput(base: TaskDefinition, rootDirectory: string, deploymentId: string): RegisterTaskDefinitionCommandInput {
  return {
    family: base.family,
    taskRoleArn: base.taskRoleArn,
    executionRoleArn: base.executionRoleArn,
    networkMode: base.networkMode,
    requiresCompatibilities: base.requiresCompatibilities,
    cpu: base.cpu,
    memory: base.memory,
    runtimePlatform: base.runtimePlatform,
    containerDefinitions: base.containerDefinitions,
    volumes: base.volumes?.map((volume) =>
      volume.efsVolumeConfiguration ? { ...volume, efsVolumeConfiguration: { ...volume.efsVolumeConfiguration, rootDirectory } } : volume,
    ),
    tags: [{ key: 'satchel:deployment', value: deploymentId }],
  };
}

export function runTaskInput(sandbox: { tenant: string; deploymentId: string; desktopSubpath: string }, taskDefinition: string): RunTaskCommandInput {
  return {
    cluster: config.sandboxClusterArn,
    taskDefinition,
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
      const { taskDefinition: base } = await send(new DescribeTaskDefinitionCommand({ taskDefinition: config.sandboxTaskDefinitionArn }));
      if (!base) throw new Error(`Task definition ${config.sandboxTaskDefinitionArn} not found`);
      const rootDirectory = `${config.sandboxEfsRoot}/${sandbox.desktopSubpath}`;
      const { taskDefinition: own } = await send(new RegisterTaskDefinitionCommand(registerInput(base, rootDirectory, sandbox.deploymentId)));
      if (!own?.taskDefinitionArn) throw new Error(`Could not register the task definition of ${sandbox.deploymentId}`);
      const result = await send(new RunTaskCommand(runTaskInput(sandbox, own.taskDefinitionArn)));
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
      launcher = ecsLauncher((command) => client.send(command as RunTaskCommand) as Promise<Answer>);
    } else {
      launcher = folderOnly;
    }
  }
  return launcher;
}
