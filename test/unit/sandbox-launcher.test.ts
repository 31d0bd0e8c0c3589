import { RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
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

  it('starts one Fargate task in the private subnets, told which Desktop is its own', async () => {
    const sent: unknown[] = [];
    const launcher = ecsLauncher(async (command) => {
      sent.push(command);
      return { tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/satchel-sandboxes/abc' }] };
    });
    const taskArn = await launcher.start({ tenant: 'acme', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'acme/dep_aaaaaaaaaaaaaaaaaaaa/Desktop' });
    expect(taskArn).toBe('arn:aws:ecs:eu-west-1:123456789012:task/satchel-sandboxes/abc');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(RunTaskCommand);
    expect((sent[0] as RunTaskCommand).input).toEqual({
      cluster: env.SANDBOX_CLUSTER_ARN,
      taskDefinition: env.SANDBOX_TASK_DEFINITION_ARN,
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
    const launcher = ecsLauncher(async () => ({ tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] }));
    await expect(launcher.start({ tenant: 'acme', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'x' })).rejects.toThrow(/RESOURCE:ENI/);
  });

  it('stops the task on the same cluster', async () => {
    const sent: unknown[] = [];
    await ecsLauncher(async (command) => (sent.push(command), {})).stop('arn:task', 'sandbox expired');
    expect(sent[0]).toBeInstanceOf(StopTaskCommand);
    expect((sent[0] as StopTaskCommand).input).toEqual({ cluster: env.SANDBOX_CLUSTER_ARN, task: 'arn:task', reason: 'sandbox expired' });
  });

  it('names the missing setting when the launcher is not configured', async () => {
    delete process.env.SANDBOX_CLUSTER_ARN;
    await expect(ecsLauncher(async () => ({})).start({ tenant: 'a', deploymentId: 'dep_aaaaaaaaaaaaaaaaaaaa', desktopSubpath: 'x' })).rejects.toThrow(/SANDBOX_CLUSTER_ARN/);
  });
});
