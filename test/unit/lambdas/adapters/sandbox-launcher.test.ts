import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { AccessPointNotFound, CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand } from '@aws-sdk/client-efs';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { ecsLauncher, ROLE_PROPAGATION } from '../../../../lambdas/adapters/sandbox-launcher';
import type { Clock } from '../../../../lambdas/shared/time';

const env = {
  SANDBOX_CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/satchel-sandboxes',
  SANDBOX_TASK_DEFINITION_ARN: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/satchel-sandbox:3',
  SANDBOX_SUBNET_IDS: 'subnet-aaa, subnet-bbb',
  SANDBOX_SECURITY_GROUP_ID: 'sg-123',
  SANDBOX_FILE_SYSTEM_ID: 'fs-1',
  SANDBOX_USER_ID: '1000',
  SANDBOX_ROLE_PREFIX: 'SatchelData',
  SANDBOX_ROLE_BOUNDARY_ARN: 'arn:aws:iam::123456789012:policy/sandbox-boundary',
};

describe('ECS sandbox launcher', () => {
  const saved = { ...process.env };
  beforeEach(() => Object.assign(process.env, env));
  afterEach(() => (process.env = { ...saved }));

  const base = {
    family: 'satchel-sandbox',
    taskRoleArn: 'arn:aws:iam::123456789012:role/task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
    networkMode: 'awsvpc' as const,
    requiresCompatibilities: ['FARGATE' as const],
    cpu: '512',
    memory: '1024',
    containerDefinitions: [{ name: 'sandbox', image: 'img' }],
    volumes: [
      {
        name: 'desktop',
        efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/sandboxes/.unassigned', transitEncryption: 'ENABLED' as const },
      },
    ],
  };
  const ownArn = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/satchel-sandbox:4';

  const accessPointId = 'fsap-0123456789abcdef0';
  const accessPointArn = `arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/${accessPointId}`;
  const roleName = 'SatchelData-sbx-dep_aaaaaaaaaaaaaaaaaaaa';
  const roleArn = `arn:aws:iam::123456789012:role/${roleName}`;
  const sandbox = { tenant: 'acme', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'acme/dep_aaaaaaaaaaaaaaaaaaaa/Desktop' };
  const taskArnOf = 'arn:aws:ecs:eu-west-1:123456789012:task/satchel-sandboxes/abc';

  type CommandClass = abstract new (...args: never[]) => unknown;
  /**
   * A scripted EFS + IAM + ECS: answers in call order; `fail` names the command that throws (`times`
   * times, every time when unset). The clock only records the waits.
   */
  function scripted(fail?: { command: CommandClass; error: Error; times?: number }, runTask: object = { tasks: [{ taskArn: taskArnOf }] }) {
    const sent: { constructor: CommandClass; input: any }[] = [];
    const waits: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms) => void waits.push(ms) };
    let failures = 0;
    const launcher = ecsLauncher(
      async (command) => {
        sent.push(command as never);
        if (fail && command instanceof fail.command && (fail.times === undefined || failures++ < fail.times)) throw fail.error;
        if (command instanceof DescribeTaskDefinitionCommand) return { taskDefinition: base };
        if (command instanceof CreateAccessPointCommand) return { AccessPointId: accessPointId, AccessPointArn: accessPointArn };
        if (command instanceof DescribeAccessPointsCommand) {
          return {
            AccessPoints: [
              {
                AccessPointId: accessPointId,
                Tags: [
                  { Key: 'satchel:tenant', Value: 'acme' },
                  { Key: 'satchel:deployment', Value: sandbox.deploymentId },
                ],
              },
            ],
          };
        }
        if (command instanceof CreateRoleCommand) return { Role: { Arn: roleArn } };
        if (command instanceof RegisterTaskDefinitionCommand) return { taskDefinition: { taskDefinitionArn: ownArn } };
        if (command instanceof RunTaskCommand) return runTask;
        return {};
      },
      clock,
      () => 0.5,
    );
    return { launcher, sent, waits, names: () => sent.map((c) => c.constructor.name) };
  }
  const launched = [
    'DescribeTaskDefinitionCommand',
    'CreateAccessPointCommand',
    'CreateRoleCommand',
    'PutRolePolicyCommand',
    'RegisterTaskDefinitionCommand',
    'RunTaskCommand',
  ];
  const cleanup = ['DeleteRolePolicyCommand', 'DeleteRoleCommand', 'DeleteAccessPointCommand'];
  const notFound = () => new NoSuchEntityException({ message: 'not found', $metadata: {} });

  it('creates the sandbox’s own access point and role, then runs it in its own revision that mounts only through that access point as that role', async () => {
    const { launcher, sent, names, waits } = scripted();
    expect(await launcher.start(sandbox)).toEqual({ taskArn: taskArnOf, accessPointId });
    expect(names()).toEqual(launched);
    expect(waits).toEqual([]);
    expect(sent[0].input).toEqual({ taskDefinition: env.SANDBOX_TASK_DEFINITION_ARN });
    expect(sent[1].input).toEqual({
      ClientToken: 'dep_aaaaaaaaaaaaaaaaaaaa',
      FileSystemId: 'fs-1',
      RootDirectory: { Path: '/sandboxes/acme/dep_aaaaaaaaaaaaaaaaaaaa/Desktop' },
      PosixUser: { Uid: 1000, Gid: 1000 },
      Tags: [
        { Key: 'satchel:tenant', Value: 'acme' },
        { Key: 'satchel:deployment', Value: 'dep_aaaaaaaaaaaaaaaaaaaa' },
      ],
    });
    const role = sent[2].input;
    expect(role).toMatchObject({
      RoleName: roleName,
      PermissionsBoundary: env.SANDBOX_ROLE_BOUNDARY_ARN,
      Tags: [
        { Key: 'satchel:tenant', Value: 'acme' },
        { Key: 'satchel:deployment', Value: 'dep_aaaaaaaaaaaaaaaaaaaa' },
      ],
    });
    expect(JSON.parse(role.AssumeRolePolicyDocument)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'ecs-tasks.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ],
    });
    // the role's own policy names exactly its access point: allowed through it, everything else on the file system denied
    const policy = sent[3].input;
    expect(policy.RoleName).toBe(roleName);
    const fileSystemArn = 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1';
    expect(JSON.parse(policy.PolicyDocument)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
          Resource: fileSystemArn,
          Condition: {
            ArnEquals: { 'elasticfilesystem:AccessPointArn': accessPointArn },
            Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
          },
        },
        {
          Effect: 'Deny',
          Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
          Resource: fileSystemArn,
          Condition: { ArnNotEquals: { 'elasticfilesystem:AccessPointArn': accessPointArn } },
        },
      ],
    });
    const registered = sent[4].input;
    expect(registered.family).toBe('satchel-sandbox');
    expect(registered.taskRoleArn).toBe(roleArn);
    expect(registered.executionRoleArn).toBe(base.executionRoleArn);
    expect(registered.containerDefinitions).toEqual(base.containerDefinitions);
    // no root directory of its own: the access point's root (the Desktop) is all the task sees
    expect(registered.volumes).toEqual([
      {
        name: 'desktop',
        efsVolumeConfiguration: {
          fileSystemId: 'fs-1',
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId, iam: 'ENABLED' },
        },
      },
    ]);
    expect(sent[5].input).toEqual({
      cluster: env.SANDBOX_CLUSTER_ARN,
      taskDefinition: ownArn,
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'dep_aaaaaaaaaaaaaaaaaaaa',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-aaa', 'subnet-bbb'], securityGroups: ['sg-123'], assignPublicIp: 'DISABLED' },
      },
      overrides: {
        containerOverrides: [
          {
            name: 'sandbox',
            environment: [
              { name: 'SATCHEL_TENANT', value: 'acme' },
              { name: 'SATCHEL_DEPLOYMENT_ID', value: 'dep_aaaaaaaaaaaaaaaaaaaa' },
              { name: 'SATCHEL_DESKTOP_SUBPATH', value: 'acme/dep_aaaaaaaaaaaaaaaaaaaa/Desktop' },
            ],
          },
        ],
      },
      tags: [
        { key: 'satchel:tenant', value: 'acme' },
        { key: 'satchel:deployment', value: 'dep_aaaaaaaaaaaaaaaaaaaa' },
      ],
    });
  });

  it.each([
    ['CreateRole', CreateRoleCommand, 3],
    ['PutRolePolicy', PutRolePolicyCommand, 4],
    ['RegisterTaskDefinition', RegisterTaskDefinitionCommand, 5],
    ['RunTask', RunTaskCommand, 6],
  ])('deletes the role’s policy, the role, then the access point when %s fails, and reports the failure', async (_name, command, calls) => {
    const { launcher, sent, names } = scripted({ command, error: new Error('AccessDeniedException: not allowed') });
    await expect(launcher.start(sandbox)).rejects.toThrow(/not allowed/);
    expect(names()).toEqual([...launched.slice(0, calls), ...cleanup]);
    expect(sent.slice(-3).map((c) => c.input)).toEqual([
      { RoleName: roleName, PolicyName: 'own-access-point' },
      { RoleName: roleName },
      { AccessPointId: accessPointId },
    ]);
  });

  it('deletes the role and access point when ECS starts no task', async () => {
    const { launcher, names } = scripted(undefined, { tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] });
    await expect(launcher.start(sandbox)).rejects.toThrow(/RESOURCE:ENI/);
    expect(names()).toEqual([...launched, ...cleanup]);
  });

  it('a failed launch whose role was never made still deletes the access point (the role’s absence counts as deleted)', async () => {
    const sent: string[] = [];
    const launcher = ecsLauncher(async (command) => {
      sent.push(command.constructor.name);
      if (command instanceof CreateAccessPointCommand) return { AccessPointId: accessPointId, AccessPointArn: accessPointArn };
      if (command instanceof DescribeTaskDefinitionCommand) return { taskDefinition: base };
      if (command instanceof CreateRoleCommand) throw new Error('LimitExceededException: roles');
      if (command instanceof DeleteRolePolicyCommand || command instanceof DeleteRoleCommand) throw notFound();
      return {};
    });
    await expect(launcher.start(sandbox)).rejects.toThrow(/LimitExceeded/);
    expect(sent.slice(-3)).toEqual(cleanup);
  });

  it.each([
    ['RegisterTaskDefinition', RegisterTaskDefinitionCommand, Object.assign(new Error('Role is not valid'), { name: 'ClientException' })],
    [
      'RunTask',
      RunTaskCommand,
      Object.assign(new Error(`ECS was unable to assume the role '${roleArn}' that was provided for this task.`), {
        name: 'InvalidParameterException',
      }),
    ],
  ])('a role not yet visible to ECS (%s) is retried with a bounded backoff', async (name, command, error) => {
    const twice = scripted({ command, error, times: 2 });
    expect(await twice.launcher.start(sandbox)).toEqual({ taskArn: taskArnOf, accessPointId });
    expect(twice.names().filter((n) => n === `${name}Command`)).toHaveLength(3);
    expect(twice.waits).toEqual([250, 500]); // full jitter at 0.5 of 500 ms, 1000 ms
    expect(twice.names()).not.toContain('DeleteRoleCommand');

    const never = scripted({ command, error });
    await expect(never.launcher.start(sandbox)).rejects.toThrow(error.message);
    expect(never.names().filter((n) => n === `${name}Command`)).toHaveLength(ROLE_PROPAGATION.retries + 1);
    expect(never.waits.every((ms) => ms <= ROLE_PROPAGATION.capMs)).toBe(true);
    expect(never.names().slice(-3)).toEqual(cleanup);
  });

  it('other ECS errors are not retried', async () => {
    const denied = scripted({
      command: RunTaskCommand,
      error: Object.assign(new Error('User is not authorized to perform iam:PassRole'), { name: 'AccessDeniedException' }),
    });
    await expect(denied.launcher.start(sandbox)).rejects.toThrow(/PassRole/);
    expect(denied.names().filter((n) => n === 'RunTaskCommand')).toHaveLength(1);
    expect(denied.waits).toEqual([]);
  });

  it('creates nothing when the base task definition cannot be read, and nothing is left when the access point cannot be made', async () => {
    const described = scripted({ command: DescribeTaskDefinitionCommand, error: new Error('ClientException: Unable to describe') });
    await expect(described.launcher.start(sandbox)).rejects.toThrow(/Unable to describe/);
    expect(described.names()).toEqual(['DescribeTaskDefinitionCommand']);
    const refused = scripted({ command: CreateAccessPointCommand, error: new Error('AccessPointLimitExceeded') });
    await expect(refused.launcher.start(sandbox)).rejects.toThrow(/AccessPointLimitExceeded/);
    expect(refused.names()).toEqual(['DescribeTaskDefinitionCommand', 'CreateAccessPointCommand']);
  });

  it('stopping stops the task and deletes the role (found through the access point’s deployment tag), then the access point, even when StopTask fails', async () => {
    const { launcher, sent, names } = scripted();
    await launcher.stop({ taskArn: 'arn:task', accessPointId }, 'sandbox expired');
    expect(names()).toEqual(['StopTaskCommand', 'DescribeAccessPointsCommand', ...cleanup]);
    expect(sent.find((c) => c instanceof StopTaskCommand)!.input).toEqual({
      cluster: env.SANDBOX_CLUSTER_ARN,
      task: 'arn:task',
      reason: 'sandbox expired',
    });
    expect(sent.slice(1).map((c) => c.input)).toEqual([
      { AccessPointId: accessPointId },
      { RoleName: roleName, PolicyName: 'own-access-point' },
      { RoleName: roleName },
      { AccessPointId: accessPointId },
    ]);

    const stopFails = scripted({ command: StopTaskCommand, error: new Error('ServerException') });
    await expect(stopFails.launcher.stop({ taskArn: 'arn:task', accessPointId }, 'x')).rejects.toThrow(/ServerException/);
    expect(stopFails.names().slice(-3)).toEqual(cleanup);
  });

  it('when the role cannot be deleted the access point stays, so termination finds the role again', async () => {
    const throttled = scripted({ command: DeleteRoleCommand, error: new Error('ThrottlingException'), times: 1 });
    await expect(throttled.launcher.stop({ accessPointId }, 'sandbox expired')).rejects.toThrow(/ThrottlingException/);
    expect(throttled.names()).toEqual(['DescribeAccessPointsCommand', 'DeleteRolePolicyCommand', 'DeleteRoleCommand']);
    await throttled.launcher.stop({ accessPointId }, 'sandbox terminated');
    expect(throttled.names().slice(3)).toEqual(['DescribeAccessPointsCommand', ...cleanup]);
  });

  it('a role or access point already gone counts as deleted; other delete failures are reported', async () => {
    const apGone = scripted({
      command: DescribeAccessPointsCommand,
      error: new AccessPointNotFound({ message: 'gone', ErrorCode: 'AccessPointNotFound', $metadata: {} }),
    });
    await expect(apGone.launcher.stop({ accessPointId }, 'sandbox terminated')).resolves.toBeUndefined();
    expect(apGone.names()).toEqual(['DescribeAccessPointsCommand']);
    const roleGone = scripted({ command: DeleteRolePolicyCommand, error: notFound() });
    await expect(roleGone.launcher.stop({ accessPointId }, 'sandbox terminated')).resolves.toBeUndefined();
    expect(roleGone.names()).toEqual(['DescribeAccessPointsCommand', ...cleanup]);
    const deleteGone = scripted({
      command: DeleteAccessPointCommand,
      error: new AccessPointNotFound({ message: 'gone', ErrorCode: 'AccessPointNotFound', $metadata: {} }),
    });
    await expect(deleteGone.launcher.stop({ accessPointId }, 'x')).resolves.toBeUndefined();
    const throttled = scripted({ command: DeleteAccessPointCommand, error: new Error('ThrottlingException') });
    await expect(throttled.launcher.stop({ accessPointId }, 'x')).rejects.toThrow(/ThrottlingException/);
  });

  it('names the missing setting when the launcher is not configured', async () => {
    delete process.env.SANDBOX_TASK_DEFINITION_ARN;
    await expect(
      ecsLauncher(async () => ({})).start({ tenant: 'a', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'x' }),
    ).rejects.toThrow(/SANDBOX_TASK_DEFINITION_ARN/);
    delete process.env.SANDBOX_FILE_SYSTEM_ID;
    process.env.SANDBOX_TASK_DEFINITION_ARN = env.SANDBOX_TASK_DEFINITION_ARN;
    const { launcher, names } = scripted();
    await expect(launcher.start(sandbox)).rejects.toThrow(/SANDBOX_FILE_SYSTEM_ID/);
    expect(names()).toEqual(['DescribeTaskDefinitionCommand']);
    process.env.SANDBOX_FILE_SYSTEM_ID = env.SANDBOX_FILE_SYSTEM_ID;
    delete process.env.SANDBOX_ROLE_BOUNDARY_ARN;
    const unbounded = scripted();
    await expect(unbounded.launcher.start(sandbox)).rejects.toThrow(/SANDBOX_ROLE_BOUNDARY_ARN/);
    expect(unbounded.names()).not.toContain('CreateRoleCommand');
  });
});
