import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { jobFunction, routeFunction } from '../../lib/functions';
import { allResources, apiTemplates, buildApp, logicalIdAt, removeStubs, TABLES_UNDER_TEST, throughDataOutputs } from './support';

jest.setTimeout(600_000);

const specs = [...TABLES_UNDER_TEST.routes.map(routeFunction), ...TABLES_UNDER_TEST.jobs.map(jobFunction)];

/** OpenSearch Serverless + the sandbox launcher + a 512-dimension embedder, in one synthesis. */
let data: Template;
let api: Template[];
let nagViolations: unknown[];

beforeAll(() => {
  const built = buildApp({
    vectorBackend: 'serverless',
    sandboxLauncher: 'true',
    sandboxImageRepository: 'satchel-sandbox',
    sandboxImageTag: 'v1',
    embeddingDimension: '512',
    sourceMapStackTraces: 'true',
  });
  data = Template.fromStack(built.data);
  api = [...apiTemplates(built.api).values()];
  const assembly = built.app.synth();
  const report = JSON.parse(readFileSync(`${assembly.directory}/validation-report.json`, 'utf8'));
  nagViolations = report.pluginReports.find((p: { pluginName: string }) => p.pluginName === 'AwsSolutions').violations;
});
afterAll(removeStubs);

/** What a launcher setting or grant must name: a resource of the data stack, by construct path. */
const ref = (path: string) => ({ Ref: logicalIdAt(data, `SatchelData/${path}`) });
const attribute = (path: string, name: string) => ({ 'Fn::GetAtt': [logicalIdAt(data, `SatchelData/${path}`), name] });

const functionsWith = (predicate: (variables: Record<string, unknown>) => boolean) =>
  Object.values(allResources(api)).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && predicate(r.Properties.Environment?.Variables ?? {}),
  );
const statements = () =>
  Object.values(allResources(api))
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[]);

test('vectorBackend=serverless: a vector collection with encryption, network and data access policies, no domain', () => {
  data.resourceCountIs('AWS::OpenSearchService::Domain', 0);
  data.hasResource('AWS::OpenSearchServerless::Collection', {
    DeletionPolicy: 'RetainExceptOnCreate',
    Properties: { Name: 'satchel-vectors', Type: 'VECTORSEARCH', StandbyReplicas: 'DISABLED' },
  });
  data.hasResourceProperties('AWS::OpenSearchServerless::SecurityPolicy', {
    Type: 'encryption',
    Policy: Match.stringLikeRegexp('"AWSOwnedKey":true'),
  });
  data.hasResourceProperties('AWS::OpenSearchServerless::SecurityPolicy', { Type: 'network' });
  data.hasResourceProperties('AWS::OpenSearchServerless::AccessPolicy', { Type: 'data' });
  data.hasResourceProperties('Custom::SatchelVectorIndex', { dimension: 512 });
  const endpoint = attribute('VectorSearch/Collection', 'CollectionEndpoint');
  data.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ OPENSEARCH_ENDPOINT: endpoint, OPENSEARCH_SERVERLESS: 'true' }) },
  });
  const searchRows = specs.filter((s) => s.access.search).length;
  expect(searchRows).toBeGreaterThan(0);
  const searchers = functionsWith((v) => v.SATCHEL_VECTOR_BACKEND === 'opensearch');
  expect(searchers).toHaveLength(searchRows);
  for (const fn of searchers) {
    expect(fn.Properties.Environment.Variables).toMatchObject({ OPENSEARCH_SERVERLESS: 'true' });
    expect(throughDataOutputs(data, fn.Properties.Environment.Variables.OPENSEARCH_ENDPOINT)).toEqual(endpoint);
  }
  // the search-only roles: read and describe the index, nothing that writes (_bulk, _delete_by_query need WriteDocument)
  const policy = Object.values(data.toJSON().Resources as Record<string, { Type: string; Properties: any }>).find(
    (r) => r.Type === 'AWS::OpenSearchServerless::AccessPolicy',
  )!.Properties.Policy;
  const text = JSON.stringify(policy);
  const readRule = text.match(/Permission\\":\[\\"aoss:DescribeIndex\\",\\"aoss:ReadDocument\\"\]\}\],\\"Principal\\":\[\\"",\{[^}]*\}/g);
  expect(readRule).toHaveLength(1);
  expect(readRule![0]).toMatch(/ItemsSearchRole/);
  expect(text.match(/ItemsSearchRole/g)).toHaveLength(1);
  expect(statements().filter((st) => st.Action === 'aoss:APIAccessAll')).toHaveLength(searchRows);
  const embedders = functionsWith((v) => v.SATCHEL_EMBEDDER === 'bedrock');
  expect(embedders.length).toBeGreaterThan(0);
  expect(embedders).toHaveLength(specs.filter((s) => s.access.embed).length);
  for (const fn of embedders) expect(fn.Properties.Environment.Variables.EMBEDDING_DIMENSION).toBe('512');
});

test('sandboxLauncher=true: sandbox functions get the launcher settings and may run and stop tasks, nothing more', () => {
  const cluster = attribute('Sandbox/Cluster/Resource', 'Arn');
  const sandboxRows = specs.filter((s) => s.access.sandbox).length;
  expect(sandboxRows).toBeGreaterThan(0);
  const sandboxed = functionsWith((v) => v.SATCHEL_SANDBOX_ROOT !== undefined);
  expect(sandboxed).toHaveLength(sandboxRows);
  for (const fn of sandboxed) {
    expect(throughDataOutputs(data, fn.Properties.Environment.Variables)).toMatchObject({
      SANDBOX_LAUNCHER: 'ecs',
      SANDBOX_CLUSTER_ARN: cluster,
      SANDBOX_TASK_DEFINITION_ARN: ref('Sandbox/TaskDefinition/Resource'),
      SANDBOX_SUBNET_IDS: { 'Fn::Join': ['', [ref('Sandbox/Vpc/isolatedSubnet1/Subnet'), ',', ref('Sandbox/Vpc/isolatedSubnet2/Subnet')]] },
      SANDBOX_SECURITY_GROUP_ID: attribute('Sandbox/TaskSecurityGroup/Resource', 'GroupId'),
    });
  }
  // and the stop route, which stops tasks without mounting the file system (issue 17 item 8)
  const launchers = functionsWith((v) => v.SANDBOX_LAUNCHER !== undefined);
  expect(launchers).toHaveLength(sandboxed.length + 1);
  for (const fn of launchers) {
    expect(throughDataOutputs(data, fn.Properties.Environment.Variables)).toMatchObject({
      SANDBOX_LAUNCHER: 'ecs',
      SANDBOX_CLUSTER_ARN: cluster,
    });
  }
  // a role per sandbox: `<stack>-sbx-<deploymentId>`, created and given a policy only with the sandbox boundary,
  // passed only to ECS tasks (with the execution role); the shared base task role is never passed
  const sandboxRoles = {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/SatchelData-sbx-*']],
  };
  const boundary = ref('Sandbox/RoleBoundary/Resource');
  const passRoles = statements().filter((st) => st.Action === 'iam:PassRole');
  expect(passRoles).toHaveLength(launchers.length);
  for (const st of passRoles) {
    expect(throughDataOutputs(data, (st as { Resource?: unknown }).Resource)).toEqual([
      sandboxRoles,
      attribute('Sandbox/TaskDefinition/ExecutionRole/Resource', 'Arn'),
    ]);
  }
  const iamStatements = statements().filter((st) => /"iam:/.test(JSON.stringify(st.Action)));
  expect(iamStatements).toHaveLength(3 * launchers.length); // nothing else: no AttachRolePolicy, no boundary changes, no other roles
  for (const st of iamStatements.filter((s) => s.Action !== 'iam:PassRole')) {
    expect((st as { Resource?: unknown }).Resource).toEqual(sandboxRoles);
    if (JSON.stringify(st.Action).includes('iam:CreateRole')) {
      expect(st.Action).toEqual(['iam:CreateRole', 'iam:PutRolePolicy']);
      expect(throughDataOutputs(data, st.Condition)).toEqual({ StringEquals: { 'iam:PermissionsBoundary': boundary } });
    } else {
      expect(st.Action).toEqual(['iam:DeleteRolePolicy', 'iam:DeleteRole', 'iam:TagRole']);
    }
  }
  for (const fn of launchers) {
    expect(throughDataOutputs(data, fn.Properties.Environment.Variables)).toMatchObject({
      SANDBOX_ROLE_PREFIX: 'SatchelData',
      SANDBOX_ROLE_BOUNDARY_ARN: boundary,
    });
  }
  data.hasResourceProperties('AWS::IAM::ManagedPolicy', { Description: Match.stringLikeRegexp('sandbox task role') });
  expect(statements()).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ Action: 'ecs:RunTask', Condition: { ArnEquals: { 'ecs:cluster': expect.anything() } } }),
      expect.objectContaining({
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
      // RegisterTaskDefinition with tags needs TagResource on the new revision, and only then
      expect.objectContaining({ Action: 'ecs:TagResource', Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } } }),
      expect.objectContaining({ Action: 'ecs:TagResource', Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } } }),
    ]),
  );
  // one EFS access point per sandbox: created only with the sandbox tags, tagged only then, deleted only when tagged
  for (const fn of launchers) {
    expect(throughDataOutputs(data, fn.Properties.Environment.Variables)).toMatchObject({
      SANDBOX_FILE_SYSTEM_ID: ref('Sandbox/FileSystem/Resource'),
      SANDBOX_USER_ID: '1000',
    });
  }
  // (the sandbox file functions' own mount grants, through their access point, are not the launcher's)
  const efs = statements().filter((st) => /elasticfilesystem:(?!Client)/.test(JSON.stringify(st.Action)));
  const accessPoints = /:access-point\/\*"\]\]\}$/;
  const create = efs.filter((st) => st.Action === 'elasticfilesystem:CreateAccessPoint');
  const tag = efs.filter((st) => st.Action === 'elasticfilesystem:TagResource');
  const remove = efs.filter((st) => st.Action === 'elasticfilesystem:DeleteAccessPoint');
  const describe = efs.filter((st) => st.Action === 'elasticfilesystem:DescribeAccessPoints');
  expect(efs).toHaveLength(4 * launchers.length); // nothing else: no file system changes
  for (const group of [create, tag, remove, describe]) expect(group).toHaveLength(launchers.length);
  for (const st of create) {
    expect(st.Condition).toEqual({
      Null: { 'aws:RequestTag/satchel:tenant': 'false', 'aws:RequestTag/satchel:deployment': 'false' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['satchel:tenant', 'satchel:deployment'] },
    });
  }
  for (const st of tag) {
    expect(st.Condition).toEqual({ StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } });
    expect(JSON.stringify((st as { Resource?: unknown }).Resource)).toMatch(accessPoints);
  }
  for (const st of remove) {
    expect(st.Condition).toEqual({ Null: { 'aws:ResourceTag/satchel:deployment': 'false' } });
    expect(JSON.stringify((st as { Resource?: unknown }).Resource)).toMatch(accessPoints);
  }
  const launchStatements = statements().filter((st) => st.Action === 'ecs:RunTask');
  expect(launchStatements).toHaveLength(launchers.length);
  for (const st of launchStatements) expect(throughDataOutputs(data, st.Condition)).toEqual({ ArnEquals: { 'ecs:cluster': cluster } });
  // the image comes from the private ECR repository named in context; the execution role may pull it
  const container = Object.values(data.toJSON().Resources as Record<string, { Type: string; Properties: any }>).find(
    (r) => r.Type === 'AWS::ECS::TaskDefinition',
  )!.Properties.ContainerDefinitions[0];
  expect(JSON.stringify(container.Image)).toMatch(/satchel-sandbox:v1/);
  const dataStatements = Object.values(data.toJSON().Resources as Record<string, { Type: string; Properties: any }>)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
  expect(dataStatements).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        Action: expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']),
        Resource: expect.anything(),
      }),
      expect.objectContaining({ Action: 'ecr:GetAuthorizationToken' }),
    ]),
  );
  expect(JSON.stringify(dataStatements.find((st) => JSON.stringify(st.Action).includes('ecr:BatchGetImage'))!.Resource)).toMatch(
    /repository\/satchel-sandbox/,
  );
  // no NAT: the launcher and the tasks reach ECS, EFS, ECR and Logs through interface endpoints
  data.resourceCountIs('AWS::EC2::NatGateway', 0);
  data.resourceCountIs('AWS::EC2::VPCEndpoint', 7);
  data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
    VpcEndpointType: 'Interface',
    ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.elasticfilesystem$')])] },
  });
});

test('sourceMapStackTraces=true: every function, the index custom resource too, resolves stack traces through its source map', () => {
  const functions = Object.values(allResources([data, ...api])).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'satchel',
  );
  expect(functions.length).toBeGreaterThan(specs.length); // the routes, jobs, authorizer and the index custom resource
  for (const fn of functions) expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
});

test('the collection keeps its logical id (a new one would replace it and lose the index)', () => {
  const retained = Object.entries(data.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
    .filter(([, r]) => r.DeletionPolicy?.startsWith('Retain') && r.Type.startsWith('AWS::OpenSearch'))
    .map(([id]) => id);
  expect(retained).toEqual(['VectorSearchCollection6AB9157A']);
});

test('cdk-nag finds nothing unsuppressed in this variant either', () => {
  expect(nagViolations).toEqual([]);
});

test('sandboxLauncher=true without a private ECR repository is refused at synthesis, with what to set', () => {
  expect(() => buildApp({ sandboxLauncher: 'true' })).toThrow(/sandboxImageRepository/);
});
