import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { AccessPointNotFound, CreateAccessPointCommand, DeleteAccessPointCommand } from '@aws-sdk/client-efs';
import { ecsLauncher } from '../../../../lambdas/adapters/sandbox-launcher';

const env = {
  SANDBOX_CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/satchel-sandboxes',
  SANDBOX_TASK_DEFINITION_ARN: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/satchel-sandbox:3',
  SANDBOX_SUBNET_IDS: 'subnet-aaa, subnet-bbb',
  SANDBOX_SECURITY_GROUP_ID: 'sg-123',
  SANDBOX_FILE_SYSTEM_ID: 'fs-1',
  SANDBOX_USER_ID: '1000',
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
  const sandbox = { tenant: 'acme', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'acme/dep_aaaaaaaaaaaaaaaaaaaa/Desktop' };
  const taskArnOf = 'arn:aws:ecs:eu-west-1:123456789012:task/satchel-sandboxes/abc';

  /** A scripted EFS + ECS: answers in call order, `fail` names the command that throws. */
  function scripted(
    fail?: { command: abstract new (...args: never[]) => unknown; error: Error },
    runTask: object = { tasks: [{ taskArn: taskArnOf }] },
  ) {
    const sent: { constructor: abstract new (...args: never[]) => unknown; input: any }[] = [];
    const launcher = ecsLauncher(async (command) => {
      sent.push(command as never);
      if (fail && command instanceof fail.command) throw fail.error;
      if (command instanceof DescribeTaskDefinitionCommand) return { taskDefinition: base };
      if (command instanceof CreateAccessPointCommand) return { AccessPointId: accessPointId };
      if (command instanceof RegisterTaskDefinitionCommand) return { taskDefinition: { taskDefinitionArn: ownArn } };
      if (command instanceof RunTaskCommand) return runTask;
      return {};
    });
    return { launcher, sent, names: () => sent.map((c) => c.constructor.name) };
  }

  it('creates the sandbox’s own access point, then runs it in its own revision that mounts only through that access point', async () => {
    const { launcher, sent, names } = scripted();
    expect(await launcher.start(sandbox)).toEqual({ taskArn: taskArnOf, accessPointId });
    expect(names()).toEqual([
      'DescribeTaskDefinitionCommand',
      'CreateAccessPointCommand',
      'RegisterTaskDefinitionCommand',
      'RunTaskCommand',
    ]);
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
    const registered = sent[2].input;
    expect(registered.family).toBe('satchel-sandbox');
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
    expect(sent[3].input).toEqual({
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
    ['RegisterTaskDefinition', RegisterTaskDefinitionCommand],
    ['RunTask', RunTaskCommand],
  ])('deletes the access point when %s fails, and reports the failure', async (_name, command) => {
    const { launcher, sent, names } = scripted({ command, error: new Error('AccessDeniedException: not allowed') });
    await expect(launcher.start(sandbox)).rejects.toThrow(/not allowed/);
    expect(names().at(-1)).toBe('DeleteAccessPointCommand');
    expect(sent.at(-1)!.input).toEqual({ AccessPointId: accessPointId });
  });

  it('deletes the access point when ECS starts no task', async () => {
    const { launcher, names } = scripted(undefined, { tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] });
    await expect(launcher.start(sandbox)).rejects.toThrow(/RESOURCE:ENI/);
    expect(names()).toEqual([
      'DescribeTaskDefinitionCommand',
      'CreateAccessPointCommand',
      'RegisterTaskDefinitionCommand',
      'RunTaskCommand',
      'DeleteAccessPointCommand',
    ]);
  });

  it('creates nothing when the base task definition cannot be read, and nothing is left when the access point cannot be made', async () => {
    const described = scripted({ command: DescribeTaskDefinitionCommand, error: new Error('ClientException: Unable to describe') });
    await expect(described.launcher.start(sandbox)).rejects.toThrow(/Unable to describe/);
    expect(described.names()).toEqual(['DescribeTaskDefinitionCommand']);
    const refused = scripted({ command: CreateAccessPointCommand, error: new Error('AccessPointLimitExceeded') });
    await expect(refused.launcher.start(sandbox)).rejects.toThrow(/AccessPointLimitExceeded/);
    expect(refused.names()).toEqual(['DescribeTaskDefinitionCommand', 'CreateAccessPointCommand']);
  });

  it('stopping stops the task and deletes the access point, even when StopTask fails', async () => {
    const { launcher, sent, names } = scripted();
    await launcher.stop({ taskArn: 'arn:task', accessPointId }, 'sandbox expired');
    expect(names().sort()).toEqual(['DeleteAccessPointCommand', 'StopTaskCommand']);
    expect(sent.find((c) => c instanceof StopTaskCommand)!.input).toEqual({
      cluster: env.SANDBOX_CLUSTER_ARN,
      task: 'arn:task',
      reason: 'sandbox expired',
    });
    expect(sent.find((c) => c instanceof DeleteAccessPointCommand)!.input).toEqual({ AccessPointId: accessPointId });

    const stopFails = scripted({ command: StopTaskCommand, error: new Error('ServerException') });
    await expect(stopFails.launcher.stop({ taskArn: 'arn:task', accessPointId }, 'x')).rejects.toThrow(/ServerException/);
    expect(stopFails.names()).toContain('DeleteAccessPointCommand');
  });

  it('an access point already gone counts as deleted; other delete failures are reported', async () => {
    const gone = scripted({
      command: DeleteAccessPointCommand,
      error: new AccessPointNotFound({ message: 'gone', ErrorCode: 'AccessPointNotFound', $metadata: {} }),
    });
    await expect(gone.launcher.stop({ accessPointId }, 'sandbox terminated')).resolves.toBeUndefined();
    expect(gone.names()).toEqual(['DeleteAccessPointCommand']);
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
  });
});
