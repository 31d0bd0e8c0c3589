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
import {
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DescribeAccessPointsCommand,
  EFSClient,
  type AccessPointDescription,
  type CreateAccessPointCommandInput,
} from '@aws-sdk/client-efs';
import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { config } from '../kit/config';
import { logger } from '../kit/observability';
import { backoff, systemClock, type Backoff, type Clock } from '../shared/time';
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
  | DeleteAccessPointCommand
  | DescribeAccessPointsCommand
  | CreateRoleCommand
  | PutRolePolicyCommand
  | DeleteRolePolicyCommand
  | DeleteRoleCommand;
interface Answer {
  taskDefinition?: TaskDefinition;
  tasks?: { taskArn?: string }[];
  failures?: { reason?: string; arn?: string }[];
  AccessPointId?: string;
  AccessPointArn?: string;
  AccessPoints?: AccessPointDescription[];
  Role?: { Arn?: string };
}
type Send = (command: Command) => Promise<Answer>;

/** The sandbox's own task role; derived from the deployment id, so stopping needs nothing stored. */
export const sandboxRoleName = (deploymentId: string): string => `${config.sandboxRolePrefix}-sbx-${deploymentId}`;
/** Name of the inline policy of a sandbox role (the only policy it has besides its permissions boundary). */
export const SANDBOX_ROLE_POLICY = 'own-access-point';

/**
 * What the sandbox's role may do: mount and write through its own access point via a mount target,
 * nothing else on the file system. The explicit deny also overrides the file system policy's grants
 * to any principal. The permissions boundary (CDK) caps the role whatever this document says.
 */
export function sandboxRolePolicy(accessPointArn: string): string {
  const fileSystemArn = accessPointArn.replace(/:access-point\/.*$/, `:file-system/${config.sandboxFileSystemId}`);
  const mount = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'];
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: mount,
        Resource: fileSystemArn,
        Condition: {
          ArnEquals: { 'elasticfilesystem:AccessPointArn': accessPointArn },
          Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
        },
      },
      {
        Effect: 'Deny',
        Action: [...mount, 'elasticfilesystem:ClientRootAccess'],
        Resource: fileSystemArn,
        Condition: { ArnNotEquals: { 'elasticfilesystem:AccessPointArn': accessPointArn } },
      },
    ],
  });
}

/** Only ECS tasks of this account may assume a sandbox role. */
export function sandboxTrustPolicy(accessPointArn: string): string {
  const account = accessPointArn.split(':')[4];
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      },
    ],
  });
}

/**
 * A new role reaches ECS some seconds after CreateRole answers (IAM is eventually consistent):
 * RegisterTaskDefinition answers "Role is not valid", RunTask "unable to assume the role".
 */
export const ROLE_PROPAGATION: Backoff & { retries: number } = { baseMs: 500, capMs: 4000, retries: 6 };
const isRoleNotYetVisible = (error: unknown): boolean =>
  ['ClientException', 'InvalidParameterException'].includes((error as Error).name) &&
  /role is not valid|unable to assume the role/i.test((error as Error).message);

const ignoring = (names: string[]) => (error: unknown) => {
  if (!names.includes((error as Error).name)) throw error;
};

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
 * through an access point: docs/deploy.md) and runs as the sandbox's own role, which may mount only
 * that access point. ECS wants no root directory beside an access point.
 */
export function registerInput(
  base: TaskDefinition,
  accessPointId: string,
  deploymentId: string,
  taskRoleArn: string,
): RegisterTaskDefinitionCommandInput {
  return {
    family: base.family,
    taskRoleArn,
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

export function ecsLauncher(send: Send, clock: Clock = systemClock, random: () => number = Math.random): SandboxLauncher {
  const deleteAccessPoint = (accessPointId: string) =>
    send(new DeleteAccessPointCommand({ AccessPointId: accessPointId })).then(() => undefined, ignoring(['AccessPointNotFound']));
  // the inline policy first: a role without it can do nothing, even while DeleteRole still fails
  const deleteRole = async (deploymentId: string) => {
    const RoleName = sandboxRoleName(deploymentId);
    await send(new DeleteRolePolicyCommand({ RoleName, PolicyName: SANDBOX_ROLE_POLICY })).catch(ignoring(['NoSuchEntityException']));
    await send(new DeleteRoleCommand({ RoleName })).catch(ignoring(['NoSuchEntityException']));
  };
  /**
   * The role goes before its access point, so an access point that still exists is how a later
   * retry (termination) finds the deployment, and so the role, to delete.
   */
  const release = async (accessPointId: string) => {
    const described = await send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId })).catch(
      ignoring(['AccessPointNotFound']),
    );
    if (!described) return;
    const deploymentId = described.AccessPoints?.[0]?.Tags?.find((tag) => tag.Key === SANDBOX_TAG.deployment)?.Value;
    if (!deploymentId) throw new Error(`Access point ${accessPointId} has no ${SANDBOX_TAG.deployment} tag`);
    await deleteRole(deploymentId);
    await deleteAccessPoint(accessPointId);
  };
  const whileRolePropagates = async (call: () => Promise<Answer>): Promise<Answer> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= ROLE_PROPAGATION.retries || !isRoleNotYetVisible(error)) throw error;
        await backoff(attempt, ROLE_PROPAGATION, clock, random);
      }
    }
  };
  return {
    async start(sandbox) {
      const { taskDefinition: base } = await send(new DescribeTaskDefinitionCommand({ taskDefinition: config.sandboxTaskDefinitionArn }));
      if (!base) throw new Error(`Task definition ${config.sandboxTaskDefinitionArn} not found`);
      const { AccessPointId: accessPointId, AccessPointArn: accessPointArn } = await send(
        new CreateAccessPointCommand(accessPointInput(sandbox)),
      );
      if (!accessPointId || !accessPointArn) throw new Error(`Could not create the access point of ${sandbox.deploymentId}`);
      const RoleName = sandboxRoleName(sandbox.deploymentId);
      try {
        const { Role: role } = await send(
          new CreateRoleCommand({
            RoleName,
            AssumeRolePolicyDocument: sandboxTrustPolicy(accessPointArn),
            PermissionsBoundary: config.sandboxRoleBoundaryArn,
            Description: `Task role of sandbox ${sandbox.deploymentId}: its own EFS access point only`,
            Tags: [
              { Key: SANDBOX_TAG.tenant, Value: sandbox.tenant },
              { Key: SANDBOX_TAG.deployment, Value: sandbox.deploymentId },
            ],
          }),
        );
        if (!role?.Arn) throw new Error(`Could not create the task role of ${sandbox.deploymentId}`);
        await send(
          new PutRolePolicyCommand({ RoleName, PolicyName: SANDBOX_ROLE_POLICY, PolicyDocument: sandboxRolePolicy(accessPointArn) }),
        );
        const { taskDefinition: own } = await whileRolePropagates(() =>
          send(new RegisterTaskDefinitionCommand(registerInput(base, accessPointId, sandbox.deploymentId, role.Arn as string))),
        );
        if (!own?.taskDefinitionArn) throw new Error(`Could not register the task definition of ${sandbox.deploymentId}`);
        const ownArn = own.taskDefinitionArn;
        const result = await whileRolePropagates(() => send(new RunTaskCommand(runTaskInput(sandbox, ownArn))));
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
        // no role or access point outlives a sandbox that never started
        await deleteRole(sandbox.deploymentId)
          .then(() => deleteAccessPoint(accessPointId))
          .catch((e: Error) =>
            logger.warn('role or access point of a failed launch not deleted', {
              deploymentId: sandbox.deploymentId,
              roleName: RoleName,
              accessPointId,
              error: e,
            }),
          );
        throw error;
      }
    },
    async stop({ taskArn, accessPointId }, reason) {
      // role and access point go even when StopTask fails: the task is stopping or gone, and no new mount may use them
      const results = await Promise.allSettled([
        taskArn ? send(new StopTaskCommand({ cluster: config.sandboxClusterArn, task: taskArn, reason })) : undefined,
        accessPointId ? release(accessPointId) : undefined,
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
      const iam = new IAMClient({ region: config.region });
      launcher = ecsLauncher((command) => {
        if (
          command instanceof CreateAccessPointCommand ||
          command instanceof DeleteAccessPointCommand ||
          command instanceof DescribeAccessPointsCommand
        ) {
          return efs.send(command as CreateAccessPointCommand) as Promise<Answer>;
        }
        if (
          command instanceof CreateRoleCommand ||
          command instanceof PutRolePolicyCommand ||
          command instanceof DeleteRolePolicyCommand ||
          command instanceof DeleteRoleCommand
        ) {
          return iam.send(command as CreateRoleCommand) as Promise<Answer>;
        }
        return ecs.send(command as RunTaskCommand) as Promise<Answer>;
      });
    } else {
      launcher = folderOnly;
    }
  }
  return launcher;
}
