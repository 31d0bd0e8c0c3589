import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { ecsLauncher } from '../../lambdas/adapters/sandbox-launcher';

const env = {
  SANDBOX_CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/satchel-sandboxes',
  SANDBOX_TASK_DEFINITION_ARN: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/satchel-sandbox:3',
  SANDBOX_SUBNET_IDS: 'subnet-aaa, subnet-bbb',
  SANDBOX_SECURITY_GROUP_ID: 'sg-123',
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
    volumes: [{ name: 'desktop', efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/sandboxes/.unassigned', transitEncryption: 'ENABLED' as const } }],
  };
  const ownArn = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/satchel-sandbox:4';

  it('runs the deployment in its own task definition revision whose EFS root is its own Desktop', async () => {
    const sent: unknown[] = [];
    const launcher = ecsLauncher(async (command) => {
      sent.push(command);
      if (command instanceof DescribeTaskDefinitionCommand) return { taskDefinition: base };
      if (command instanceof RegisterTaskDefinitionCommand) return { taskDefinition: { taskDefinitionArn: ownArn } };
      return { tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/satchel-sandboxes/abc' }] };
    });
    const taskArn = await launcher.start({ tenant: 'acme', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'acme/dep_aaaaaaaaaaaaaaaaaaaa/Desktop' });
    expect(taskArn).toBe('arn:aws:ecs:eu-west-1:123456789012:task/satchel-sandboxes/abc');
    expect(sent.map((c) => c!.constructor)).toEqual([DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, RunTaskCommand]);
    expect((sent[0] as DescribeTaskDefinitionCommand).input).toEqual({ taskDefinition: env.SANDBOX_TASK_DEFINITION_ARN });
    const registered = (sent[1] as RegisterTaskDefinitionCommand).input;
    expect(registered.family).toBe('satchel-sandbox');
    expect(registered.containerDefinitions).toEqual(base.containerDefinitions);
    expect(registered.volumes).toEqual([
      { name: 'desktop', efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/sandboxes/acme/dep_aaaaaaaaaaaaaaaaaaaa/Desktop', transitEncryption: 'ENABLED' } },
    ]);
    expect((sent[2] as RunTaskCommand).input).toEqual({
      cluster: env.SANDBOX_CLUSTER_ARN,
      taskDefinition: ownArn,
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'dep_aaaaaaaaaaaaaaaaaaaa',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-aaa', 'subnet-bbb'], securityGroups: ['sg-123'], assignPublicIp: 'DISABLED' } },
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

  it('fails with ECS’s reasons when no task starts', async () => {
    const launcher = ecsLauncher(async (command) => {
      if (command instanceof DescribeTaskDefinitionCommand) return { taskDefinition: base };
      if (command instanceof RegisterTaskDefinitionCommand) return { taskDefinition: { taskDefinitionArn: ownArn } };
      return { tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] };
    });
    await expect(launcher.start({ tenant: 'acme', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'x' })).rejects.toThrow(/RESOURCE:ENI/);
  });

  it('stops the task on the same cluster', async () => {
    const sent: unknown[] = [];
    await ecsLauncher(async (command) => (sent.push(command), {})).stop('arn:task', 'sandbox expired');
    expect(sent[0]).toBeInstanceOf(StopTaskCommand);
    expect((sent[0] as StopTaskCommand).input).toEqual({ cluster: env.SANDBOX_CLUSTER_ARN, task: 'arn:task', reason: 'sandbox expired' });
  });

  it('names the missing setting when the launcher is not configured', async () => {
    delete process.env.SANDBOX_TASK_DEFINITION_ARN;
    await expect(ecsLauncher(async () => ({})).start({ tenant: 'a', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'x' })).rejects.toThrow(/SANDBOX_TASK_DEFINITION_ARN/);
  });
});
