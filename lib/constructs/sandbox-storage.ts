import { Annotations, ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SANDBOX_TAG } from '../../lambdas/adapters/sandbox-tags';
import type { Settings } from '../settings';

/** Folder on the file system that holds every desktop: `<EFS_ROOT>/<tenant>/<deploymentId>/Desktop`. */
export const SANDBOX_EFS_ROOT = '/sandboxes';
/** Where the sandbox file functions see EFS_ROOT (SATCHEL_SANDBOX_ROOT). */
export const SANDBOX_LAMBDA_MOUNT = '/mnt/sandboxes';
/** The working folder of a sandbox, as seed 004 has it. */
export const SANDBOX_DESKTOP = '/home/user/Desktop';
export const SANDBOX_CONTAINER_NAME = 'sandbox';
/** uid/gid the functions write as (access point) and the sandbox container runs as. */
const SANDBOX_USER = '1000';

export interface SandboxStorageProps {
  settings: Settings;
}

/**
 * Sandbox desktops: a VPC without NAT (isolated subnets; S3 and DynamoDB gateway endpoints), an
 * encrypted EFS file system, the access point the sandbox file functions mount, and an ECS Fargate
 * task definition for the sandbox itself.
 *
 * Isolation: the functions (our code) mount `/sandboxes` and compute `<tenant>/<deploymentId>/Desktop`
 * from the authorised tenant. A sandbox (untrusted code) must only ever see its own Desktop: the
 * launcher creates one access point per sandbox rooted at its Desktop (tagged with tenant and
 * deployment), a task role for that sandbox alone whose policy names that access point, and a
 * revision of this task definition that mounts through it as that role. Every sandbox role has
 * `roleBoundary` as its permissions boundary: mount only through an access point, never the root,
 * never the functions' access point, nothing outside EFS (docs/deploy.md). The task role of the
 * revision defined here runs no sandbox and may not mount at all.
 */
export class SandboxStorage extends Construct {
  readonly vpc: ec2.Vpc;
  readonly fileSystem: efs.FileSystem;
  readonly accessPoint: efs.AccessPoint;
  /** Security group of the functions that mount the file system. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly taskSecurityGroup: ec2.SecurityGroup;
  /** Permissions boundary of every sandbox task role (the launcher may create roles only with it). */
  readonly roleBoundary: iam.ManagedPolicy;
  /** Sandbox roles are named `<rolePrefix>-sbx-<deploymentId>`. */
  readonly rolePrefix: string;

  constructor(scope: Construct, id: string, props: SandboxStorageProps) {
    super(scope, id);
    const { settings } = props;
    const retention = settings.logRetentionDays as logs.RetentionDays;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    this.vpc.addFlowLog('FlowLogs', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', {
          retention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
    });

    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      encrypted: true,
      // File system policy: every mount is IAM-authorised (the functions' and tasks' roles), never anonymous.
      allowAnonymousAccess: false,
      enableAutomaticBackups: true,
      throughputMode: efs.ThroughputMode.ELASTIC,
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessPoint = this.fileSystem.addAccessPoint('FunctionAccessPoint', {
      path: SANDBOX_EFS_ROOT,
      createAcl: { ownerUid: SANDBOX_USER, ownerGid: SANDBOX_USER, permissions: '750' },
      posixUser: { uid: SANDBOX_USER, gid: SANDBOX_USER },
    });
    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Satchel sandbox file functions (EFS clients)',
    });
    // Lambda adds an NFS egress rule for the mounted file system; the group already allows all outbound
    // (the functions also reach DynamoDB and S3), so the rule is redundant and CDK's note about it is not actionable.
    Annotations.of(this.functionSecurityGroup).acknowledgeWarning(
      '@aws-cdk/aws-ec2:ipv4IgnoreEgressRule',
      'all outbound traffic is allowed; the NFS rule Lambda adds is covered by it',
    );
    this.taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'Satchel sandbox tasks (EFS clients)',
    });
    this.fileSystem.connections.allowDefaultPortFrom(this.functionSecurityGroup, 'sandbox file functions');
    this.fileSystem.connections.allowDefaultPortFrom(this.taskSecurityGroup, 'sandbox tasks');

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskDefinition.addVolume({
      name: 'desktop',
      efsVolumeConfiguration: {
        fileSystemId: this.fileSystem.fileSystemId,
        rootDirectory: `${SANDBOX_EFS_ROOT}/.unassigned`,
        transitEncryption: 'ENABLED',
        authorizationConfig: { iam: 'ENABLED' },
      },
    });
    this.rolePrefix = Stack.of(this).stackName;
    // 64 characters at most: `<prefix>-sbx-` and a deployment id (dep_ + 20)
    if (this.rolePrefix.length > 64 - 5 - 24)
      throw new Error(`Stack name ${this.rolePrefix} is too long to prefix sandbox role names (35 characters at most)`);
    this.roleBoundary = new iam.ManagedPolicy(this, 'RoleBoundary', {
      description: 'Permissions boundary of every sandbox task role: EFS mounts through a sandbox access point only',
      statements: this.sandboxMountStatements(),
    });
    // the base revision runs no sandbox: its role mounts nothing (also overriding the file system policy's grants to any principal)
    this.taskDefinition.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
        resources: [this.fileSystem.fileSystemArn],
      }),
    );
    const container = this.taskDefinition.addContainer(SANDBOX_CONTAINER_NAME, {
      image: this.sandboxImage(settings),
      user: `${SANDBOX_USER}:${SANDBOX_USER}`,
      workingDirectory: SANDBOX_DESKTOP,
      command: ['sleep', 'infinity'],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'sandbox',
        logGroup: new logs.LogGroup(this, 'TaskLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
      }),
    });
    container.addMountPoints({ sourceVolume: 'desktop', containerPath: SANDBOX_DESKTOP, readOnly: false });

    if (settings.sandboxLauncher) {
      // No NAT: the launcher reaches ECS and EFS (access points), and tasks pull images and ship logs, through interface endpoints.
      const endpoints: [string, ec2.InterfaceVpcEndpointAwsService, ec2.SecurityGroup][] = [
        ['EcsEndpoint', ec2.InterfaceVpcEndpointAwsService.ECS, this.functionSecurityGroup],
        ['EfsEndpoint', ec2.InterfaceVpcEndpointAwsService.ELASTIC_FILESYSTEM, this.functionSecurityGroup],
        ['EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR, this.taskSecurityGroup],
        ['EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER, this.taskSecurityGroup],
        ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS, this.taskSecurityGroup],
      ];
      for (const [endpointId, service, client] of endpoints) {
        const endpoint = this.vpc.addInterfaceEndpoint(endpointId, {
          service,
          subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          open: false,
        });
        endpoint.connections.allowDefaultPortFrom(client);
      }
    }
  }

  /**
   * The sandbox image. With the launcher on, tasks run in isolated subnets (no NAT) and can only pull
   * from ECR through the VPC endpoints, so the image must be in a private ECR repository of this
   * account and region (context `sandboxImageRepository`, `sandboxImageTag`); CDK then grants the
   * execution role the pull rights on that repository. Without the launcher the image is never pulled.
   */
  private sandboxImage(settings: Settings): ecs.ContainerImage {
    if (settings.sandboxImageRepository) {
      const repository = ecr.Repository.fromRepositoryName(this, 'ImageRepository', settings.sandboxImageRepository);
      return ecs.ContainerImage.fromEcrRepository(repository, settings.sandboxImageTag);
    }
    if (settings.sandboxLauncher) {
      throw new Error(
        'Context sandboxLauncher=true needs sandboxImageRepository: the name of a private ECR repository in this account and region ' +
          'holding the sandbox image (tasks have no internet access to pull from public registries), e.g. -c sandboxImageRepository=satchel-sandbox',
      );
    }
    return ecs.ContainerImage.fromRegistry(settings.sandboxImage);
  }

  /** ARN pattern of this account's access points (EFS names them `fsap-…`; the file system is not part of the ARN). */
  private accessPointArns(): string {
    return Stack.of(this).formatArn({
      service: 'elasticfilesystem',
      resource: 'access-point',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * The most a sandbox role may do (its permissions boundary): mount (read/write) only through an
   * access point and a mount target. Denied outright: a mount without an access point (the whole
   * file system), the functions' access point (every desktop) and root access; the denies also
   * override the file system policy's allow of ClientWrite/ClientRootAccess to any principal. Which
   * access point is the role's own is its inline policy (the launcher's): a boundary cannot name a
   * per-sandbox ARN, and access point tags are invisible to ClientMount (authorised on the file system).
   */
  private sandboxMountStatements(): iam.PolicyStatement[] {
    const fileSystem = [this.fileSystem.fileSystemArn];
    const mount = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'];
    return [
      new iam.PolicyStatement({
        actions: mount,
        resources: fileSystem,
        conditions: {
          ArnLike: { 'elasticfilesystem:AccessPointArn': this.accessPointArns() },
          Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
        },
      }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: [...mount, 'elasticfilesystem:ClientRootAccess'],
        resources: fileSystem,
        conditions: { Null: { 'elasticfilesystem:AccessPointArn': 'true' } },
      }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: [...mount, 'elasticfilesystem:ClientRootAccess'],
        resources: fileSystem,
        conditions: { ArnEquals: { 'elasticfilesystem:AccessPointArn': this.accessPoint.accessPointArn } },
      }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['elasticfilesystem:ClientRootAccess'],
        resources: fileSystem,
      }),
    ];
  }

  /** How a function mounts the desktops: through the access point, at SANDBOX_LAMBDA_MOUNT. */
  lambdaFileSystem(): lambda.FileSystem {
    return lambda.FileSystem.fromEfsAccessPoint(this.accessPoint, SANDBOX_LAMBDA_MOUNT);
  }

  /** Env and grants of a function that starts and stops sandbox tasks (context `sandboxLauncher=true`). */
  launcherEnvironment(): Record<string, string> {
    return {
      SANDBOX_LAUNCHER: 'ecs',
      SANDBOX_CLUSTER_ARN: this.cluster.clusterArn,
      SANDBOX_TASK_DEFINITION_ARN: this.taskDefinition.taskDefinitionArn,
      SANDBOX_CONTAINER_NAME: SANDBOX_CONTAINER_NAME,
      SANDBOX_EFS_ROOT: SANDBOX_EFS_ROOT,
      SANDBOX_FILE_SYSTEM_ID: this.fileSystem.fileSystemId,
      SANDBOX_USER_ID: SANDBOX_USER,
      SANDBOX_SUBNET_IDS: this.vpc.isolatedSubnets.map((s) => s.subnetId).join(','),
      SANDBOX_SECURITY_GROUP_ID: this.taskSecurityGroup.securityGroupId,
      SANDBOX_ROLE_PREFIX: this.rolePrefix,
      SANDBOX_ROLE_BOUNDARY_ARN: this.roleBoundary.managedPolicyArn,
    };
  }

  grantLaunch(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    const stack = Stack.of(this);
    const ecsArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ecs', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const taskDefinitions = ecsArn('task-definition', `${this.taskDefinition.family}:*`);
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [taskDefinitions],
        conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
      }),
    );
    const tasks = ecsArn('task', `${this.cluster.clusterName}/*`);
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:StopTask', 'ecs:DescribeTasks'], resources: [tasks] }));
    // RunTask with `tags` (tenant, deployment) needs this; only while creating the task.
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [tasks],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
    );
    // Per-deployment revisions (see the class comment); these two actions take no resource ARN.
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
        resources: ['*'],
      }),
    );
    // RegisterTaskDefinition with `tags` (the deployment) needs this on the new revision; only while registering it.
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [taskDefinitions],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
    );
    // One access point per sandbox: created only with both sandbox tags (and no others), tagged only while
    // being created, deleted only when it carries the deployment tag (never the functions' access point).
    // IAM has no condition key for an access point's root directory or POSIX user: those are the launcher's code.
    const accessPoints = this.accessPointArns();
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:CreateAccessPoint'],
        resources: [this.fileSystem.fileSystemArn, accessPoints],
        conditions: {
          Null: { [`aws:RequestTag/${SANDBOX_TAG.tenant}`]: 'false', [`aws:RequestTag/${SANDBOX_TAG.deployment}`]: 'false' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [SANDBOX_TAG.tenant, SANDBOX_TAG.deployment] },
        },
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:TagResource'],
        resources: [accessPoints],
        conditions: { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } },
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:DeleteAccessPoint'],
        resources: [accessPoints],
        conditions: { Null: { [`aws:ResourceTag/${SANDBOX_TAG.deployment}`]: 'false' } },
      }),
    );
    // stopping reads the deployment tag of an access point to find the sandbox's role
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:DescribeAccessPoints'],
        resources: [this.fileSystem.fileSystemArn, accessPoints],
      }),
    );
    // One role per sandbox, named `<prefix>-sbx-<deploymentId>`: created and given a policy only with the
    // sandbox boundary (so whatever the launcher writes, the role can do no more than the boundary allows),
    // passed only to ECS tasks.
    const sandboxRoles = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${this.rolePrefix}-sbx-*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const withBoundary = { StringEquals: { 'iam:PermissionsBoundary': this.roleBoundary.managedPolicyArn } };
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['iam:CreateRole', 'iam:PutRolePolicy'], resources: [sandboxRoles], conditions: withBoundary }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['iam:DeleteRolePolicy', 'iam:DeleteRole', 'iam:TagRole'], resources: [sandboxRoles] }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [sandboxRoles, this.taskDefinition.obtainExecutionRole().roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
  }
}
