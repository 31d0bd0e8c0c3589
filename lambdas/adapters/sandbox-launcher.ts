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
import { CreateAccessPointCommand, DeleteAccessPointCommand, EFSClient, type CreateAccessPointCommandInput } from '@aws-sdk/client-efs';
import { config } from '../kit/config';
import { logger } from '../kit/observability';
import { SANDBOX_TAG } from './sandbox-tags';

interface Sandbox {
  tenant: string;
  deploymentId: string;
  desktopSubpath: string;
}

/** What a started sandbox holds in AWS; kept on its deployment until it stops. */
export interface SandboxResources {
  taskArn?: string;
  /** The EFS access point whose root is the sandbox's Desktop (the only way its task may mount EFS). */
  accessPointId?: string;
}

/**
 * Starts and stops the process that uses a sandbox's Desktop. In AWS with SANDBOX_LAUNCHER=ecs
 * that is a Fargate task mounting the same EFS folder at /home/user/Desktop; otherwise (the
 * default, and locally) there is nothing to start: the Desktop folder is the sandbox.
 */
export interface SandboxLauncher {
  start(sandbox: Sandbox): Promise<SandboxResources>;
  /** Stops the task and deletes the access point; an access point already gone counts as deleted. */
  stop(resources: SandboxResources, reason: string): Promise<void>;
}

type Command =
  | DescribeTaskDefinitionCommand
  | RegisterTaskDefinitionCommand
  | RunTaskCommand
  | StopTaskCommand
  | CreateAccessPointCommand
  | DeleteAccessPointCommand;
interface Answer {
  taskDefinition?: TaskDefinition;
  tasks?: { taskArn?: string }[];
  failures?: { reason?: string; arn?: string }[];
  AccessPointId?: string;
}
type Send = (command: Command) => Promise<Answer>;

/** The sandbox's own view of EFS: rooted at its Desktop, every operation as the sandbox user. */
export function accessPointInput(sandbox: Sandbox): CreateAccessPointCommandInput {
  const uid = config.sandboxUserId;
  return {
    ClientToken: sandbox.deploymentId, // a retried create returns the same access point
    FileSystemId: config.sandboxFileSystemId,
    RootDirectory: { Path: `${config.sandboxEfsRoot}/${sandbox.desktopSubpath}` },
    PosixUser: { Uid: uid, Gid: uid },
    Tags: [
      { Key: SANDBOX_TAG.tenant, Value: sandbox.tenant },
      { Key: SANDBOX_TAG.deployment, Value: sandbox.deploymentId },
    ],
  };
}

/**
 * ECS can neither mount a sub-folder of a volume per container nor override volumes in RunTask, so
 * each sandbox runs its own revision of the base task definition whose EFS volume goes through the
 * sandbox's own access point, IAM-authorised and encrypted in transit (the task role may mount only
 * through an access point: docs/deploy.md). ECS wants no root directory beside an access point.
 */
export function registerInput(base: TaskDefinition, accessPointId: string, deploymentId: string): RegisterTaskDefinitionCommandInput {
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
      volume.efsVolumeConfiguration
        ? {
            name: volume.name,
            efsVolumeConfiguration: {
              fileSystemId: volume.efsVolumeConfiguration.fileSystemId,
              transitEncryption: 'ENABLED',
              authorizationConfig: { accessPointId, iam: 'ENABLED' },
            },
          }
        : volume,
    ),
    tags: [{ key: SANDBOX_TAG.deployment, value: deploymentId }],
  };
}

export function runTaskInput(sandbox: Sandbox, taskDefinition: string): RunTaskCommandInput {
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
      { key: SANDBOX_TAG.tenant, value: sandbox.tenant },
      { key: SANDBOX_TAG.deployment, value: sandbox.deploymentId },
    ],
  };
}

export function ecsLauncher(send: Send): SandboxLauncher {
  const deleteAccessPoint = async (accessPointId: string) => {
    try {
      await send(new DeleteAccessPointCommand({ AccessPointId: accessPointId }));
    } catch (error) {
      if ((error as Error).name !== 'AccessPointNotFound') throw error;
    }
  };
  return {
    async start(sandbox) {
      const { taskDefinition: base } = await send(new DescribeTaskDefinitionCommand({ taskDefinition: config.sandboxTaskDefinitionArn }));
      if (!base) throw new Error(`Task definition ${config.sandboxTaskDefinitionArn} not found`);
      const { AccessPointId: accessPointId } = await send(new CreateAccessPointCommand(accessPointInput(sandbox)));
      if (!accessPointId) throw new Error(`Could not create the access point of ${sandbox.deploymentId}`);
      try {
        const { taskDefinition: own } = await send(
          new RegisterTaskDefinitionCommand(registerInput(base, accessPointId, sandbox.deploymentId)),
        );
        if (!own?.taskDefinitionArn) throw new Error(`Could not register the task definition of ${sandbox.deploymentId}`);
        const result = await send(new RunTaskCommand(runTaskInput(sandbox, own.taskDefinitionArn)));
        const taskArn = result.tasks?.[0]?.taskArn;
        if (!taskArn) {
          const reason =
            result.failures
              ?.map((f) => f.reason)
              .filter(Boolean)
              .join('; ') || 'no task was started';
          throw new Error(`RunTask failed for ${sandbox.deploymentId}: ${reason}`);
        }
        return { taskArn, accessPointId };
      } catch (error) {
        // no access point outlives a sandbox that never started
        await deleteAccessPoint(accessPointId).catch((e: Error) =>
          logger.warn('access point of a failed launch not deleted', { deploymentId: sandbox.deploymentId, accessPointId, error: e }),
        );
        throw error;
      }
    },
    async stop({ taskArn, accessPointId }, reason) {
      // the access point goes even when StopTask fails: the task is stopping or gone, and no new mount may use it
      const results = await Promise.allSettled([
        taskArn ? send(new StopTaskCommand({ cluster: config.sandboxClusterArn, task: taskArn, reason })) : undefined,
        accessPointId ? deleteAccessPoint(accessPointId) : undefined,
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

const folderOnly: SandboxLauncher = {
  start: async () => ({}),
  stop: async () => undefined,
};

let launcher: SandboxLauncher | undefined;

export function sandboxLauncher(): SandboxLauncher {
  if (!launcher) {
    if (config.sandboxLauncher === 'ecs') {
      const ecs = new ECSClient({ region: config.region });
      const efs = new EFSClient({ region: config.region });
      launcher = ecsLauncher(
        (command) =>
          (command instanceof CreateAccessPointCommand || command instanceof DeleteAccessPointCommand
            ? efs.send(command as CreateAccessPointCommand)
            : ecs.send(command as RunTaskCommand)) as Promise<Answer>,
      );
    } else {
      launcher = folderOnly;
    }
  }
  return launcher;
}
