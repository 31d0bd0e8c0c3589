import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BUCKET_ENV_VAR, TABLES, tableEnvVar, type TableId } from '../../lambdas/kit/data-model';
import { jobFunction, routeFunction, type FunctionSpec } from '../../lib/functions';
import { BACKGROUND_FETCH_DEADLINE_SECONDS, JOBS, type StreamTrigger } from '../../lambdas/jobs';
import { surfaceOf, surfaceStackId } from '../../lib/surface-stack';
import { VPC_ACCESS_POLICY } from '../../lib/constructs/satchel-function';
import { API_URL_OUTPUT, BUCKET_NAME_OUTPUT, tableOutput, VECTOR_ENDPOINT_OUTPUT } from '../../lib/outputs';
import { functionName, ROUTES, type Route } from '../../lambdas/routes';
import { MCP_TARGETS } from '../../lambdas/mcp/service/targets';
import { SANDBOX_DESKTOP, SANDBOX_EFS_ROOT, SANDBOX_LAMBDA_MOUNT } from '../../lib/constructs/sandbox-storage';
import { expectWithinLimits } from './limits';
import {
  allResources,
  apiTemplates,
  buildApp,
  logicalIdAt,
  removeStubs,
  TABLES_UNDER_TEST,
  tableRef,
  throughDataOutputs,
  type Resources,
} from './support';

// Synthesis of both stacks takes tens of seconds on a shared machine: build each variant once.
jest.setTimeout(600_000);

const { routes, jobs } = TABLES_UNDER_TEST;
const specs: FunctionSpec[] = [...routes.map(routeFunction), ...jobs.map(jobFunction)];
const tableIds = Object.keys(TABLES) as TableId[];

let app: ReturnType<typeof buildApp>['app'];
let data: Template;
/** The API stack (parent) and its surface stacks. */
let apiStacks: Map<string, Template>;
let parent: Template;
/** Every resource of the API stack and its surface stacks. */
let apiResources: Resources;

beforeAll(() => {
  const built = buildApp({ ttlAgentSeconds: '120', ttlTemporarySeconds: '30', apiRateLimit: '40', apiBurstLimit: '80' });
  app = built.app;
  data = Template.fromStack(built.data);
  apiStacks = apiTemplates(built.api);
  parent = apiStacks.get('SatchelApi')!;
  apiResources = allResources(apiStacks.values());
});
afterAll(removeStubs);

const resources = (t: Template): Resources => t.toJSON().Resources;
const cdkPath = (r: Resources[string]) => r.Metadata?.['aws:cdk:path'] ?? '';
const ofType = (type: string) => Object.values(apiResources).filter((r) => r.Type === type);
/** Where a route's or job's constructs live: its surface stack. */
const home = (spec: FunctionSpec) => `SatchelApi/${surfaceStackId(surfaceOf(spec.handler))}`;

/** The Lambda function of a route or job, by its stable name. */
function lambdaOf(spec: FunctionSpec) {
  const found = ofType('AWS::Lambda::Function').filter((r) => cdkPath(r) === `${home(spec)}/${spec.name}/Function/Resource`);
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

/** Every action granted to a function's role (its own role, or the search role imported from the data stack). */
function actionsOf(spec: FunctionSpec): string[] {
  return ofType('AWS::IAM::Policy')
    .filter(
      (r) => cdkPath(r).startsWith(`${home(spec)}/${spec.name}/Role/`) || cdkPath(r).startsWith(`${home(spec)}/${spec.name}SearchRole/`),
    )
    .flatMap((r) => r.Properties.PolicyDocument.Statement)
    .flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** What the functions' OPENSEARCH_ENDPOINT must name: the data stack's domain endpoint. */
const domainEndpoint = () => ({
  'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdAt(data, 'SatchelData/VectorSearch/Domain/Resource'), 'DomainEndpoint'] }]],
});
const bucketRef = () => ({ Ref: logicalIdAt(data, 'SatchelData/DataBucket/Resource') });

test('the real tables hold every kind of access the stacks wire, so no loop below runs over nothing', () => {
  const kinds = {
    'table read': specs.some((s) => Object.values(s.access.tables ?? {}).includes('read')),
    'table write': specs.some((s) => Object.values(s.access.tables ?? {}).includes('write')),
    'bucket read': specs.some((s) => s.access.bucket === 'read'),
    'bucket write': specs.some((s) => s.access.bucket === 'write'),
    'search read': specs.some((s) => s.access.search === 'read'),
    'search write': specs.some((s) => s.access.search === 'write'),
    embed: specs.some((s) => s.access.embed),
    sandbox: specs.some((s) => s.access.sandbox),
    'stream job': jobs.some((j) => 'stream' in j.trigger),
    'schedule job': jobs.some((j) => 'schedule' in j.trigger),
    'open route': routes.some((r) => !r.auth),
  };
  expect(
    Object.entries(kinds)
      .filter(([, present]) => !present)
      .map(([kind]) => kind),
  ).toEqual([]);
});

const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  's3:PutObject',
  's3:DeleteObject*',
  's3:Abort*',
  's3:PutObjectLegalHold',
  'es:ESHttpPut',
  'es:ESHttpDelete',
];

describe('data stack', () => {
  test('one table per TABLES entry: on demand, PITR, encrypted, TTL, stream, indexes, retained', () => {
    data.resourceCountIs('AWS::DynamoDB::Table', tableIds.length);
    for (const def of Object.values(TABLES)) {
      data.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
            ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : []),
          ],
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          ...(def.ttlAttribute ? { TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } } : {}),
          ...(def.stream ? { StreamSpecification: { StreamViewType: def.stream } } : {}),
          ...(def.globalIndexes.length > 0
            ? { GlobalSecondaryIndexes: def.globalIndexes.map((i) => Match.objectLike({ IndexName: i.name })) }
            : {}),
        }),
      });
    }
  });

  test('bucket: private, TLS only, encrypted, versioned, every lifecycle rule, retained', () => {
    data.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    });
    const bucket = Object.values(resources(data)).find((r) => r.Type === 'AWS::S3::Bucket')!.Properties;
    // ttlAgentSeconds=120 and ttlTemporarySeconds=30 in context, session 1 day and company permanent by default
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      { Id: 'items-agent', Prefix: 'items/agent/', ExpirationInDays: 2, Status: 'Enabled' },
      { Id: 'items-session', Prefix: 'items/session/', ExpirationInDays: 2, Status: 'Enabled' },
      { Id: 'items-temporary', Prefix: 'items/temporary/', ExpirationInDays: 2, Status: 'Enabled' },
      { Id: 'unconfirmed-uploads', Prefix: 'incoming/', ExpirationInDays: 1, Status: 'Enabled' },
      { Id: 'unconfirmed-items-uploads', Prefix: 'items/uploads/', ExpirationInDays: 1, Status: 'Enabled' },
      {
        Id: 'unconfirmed-sync-uploads',
        Prefix: 'sync/',
        TagFilters: [{ Key: 'satchel-upload', Value: 'unconfirmed' }],
        ExpirationInDays: 1,
        Status: 'Enabled',
      },
      { Id: 'abort-multipart', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
      { Id: 'noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' },
      { Id: 'expired-delete-markers', ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
    ]);
    expect(bucket.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({
        AllowedOrigins: ['*'],
        AllowedMethods: ['GET', 'PUT', 'HEAD'],
        ExposedHeaders: expect.arrayContaining(['ETag']),
      }),
    ]);
    data.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('OpenSearch domain: encrypted at rest and between nodes, HTTPS/TLS 1.2 only, retained, policy names only the search roles', () => {
    data.hasResource('AWS::OpenSearchService::Domain', {
      // fixed name: retained, except that a rollback of its first create removes it (a retry would find it "already exists")
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        EncryptionAtRestOptions: { Enabled: true },
        NodeToNodeEncryptionOptions: { Enabled: true },
        DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
      }),
    });
    const domain = Object.values(resources(data)).find((r) => r.Type === 'AWS::OpenSearchService::Domain')!;
    const statements = domain.Properties.AccessPolicies.Statement as { Principal: { AWS: unknown }; Action: string[] }[];
    for (const statement of statements) {
      expect(JSON.stringify(statement.Principal)).not.toContain(':root');
      expect(statement.Principal.AWS).not.toBe('*');
    }
    const searchers = specs.filter((s) => s.access.search);
    const principals = statements.flatMap((s) => [s.Principal.AWS].flat());
    // every search function's role + the index custom resource, nothing else
    expect(principals).toHaveLength(searchers.length + 1);
    const readOnly = statements.find((s) => !s.Action.includes('es:ESHttpPut'))!;
    expect([readOnly.Principal.AWS].flat()).toHaveLength(searchers.filter((s) => s.access.search === 'read').length);
    expect(readOnly.Action).not.toContain('es:ESHttpDelete');
  });

  test('a search-only role may only _search the index: the domain policy and its own policy both name that one path (issue 12)', () => {
    const domain = Object.values(resources(data)).find((r) => r.Type === 'AWS::OpenSearchService::Domain')!;
    const statements = domain.Properties.AccessPolicies.Statement as { Action: string[]; Resource: unknown }[];
    const onlySearch = (statement: { Action: string | string[]; Resource: unknown }) => {
      expect([statement.Action].flat().sort()).toEqual(['es:ESHttpGet', 'es:ESHttpPost']);
      const paths = [statement.Resource].flat().map((r) => JSON.stringify(r));
      expect(paths).toHaveLength(1);
      expect(paths[0]).toMatch(/:domain\/satchel-vectors\/satchel-items\/_search"\]\]\}$/);
    };
    onlySearch(statements.find((st) => !st.Action.includes('es:ESHttpPut'))!);
    // the writers' statement keeps the whole domain: they _bulk, delete and create the index
    expect(JSON.stringify(statements.find((st) => st.Action.includes('es:ESHttpPut'))!.Resource)).toMatch(/satchel-vectors\/\*"\]\]\}$/);
    const readers = specs.filter((s) => s.access.search === 'read');
    expect(readers.map((s) => s.handler)).toEqual(expect.arrayContaining(['items/search-items']));
    for (const s of readers) {
      const es = ofType('AWS::IAM::Policy')
        .filter((r) => cdkPath(r).startsWith(`${home(s)}/${s.name}SearchRole/`))
        .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((st) => JSON.stringify(st.Action).includes('es:'));
      expect(es).toHaveLength(1);
      onlySearch(es[0]);
    }
    // only the search route reads the index; every other row with search access writes it
    expect(ROUTES.filter((r) => r.access.search === 'read').map((r) => r.handler)).toEqual(['items/search-items']);
  });

  test('the index is created by a custom resource (Provider framework) that is told the domain, index and dimension', () => {
    data.resourceCountIs('Custom::SatchelVectorIndex', 1);
    data.hasResourceProperties('Custom::SatchelVectorIndex', { index: 'satchel-items', dimension: 1024 });
    data.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          OPENSEARCH_DOMAIN_NAME: { Ref: logicalIdAt(data, 'SatchelData/VectorSearch/Domain/Resource') },
          OPENSEARCH_ENDPOINT: domainEndpoint(),
          OPENSEARCH_INDEX: 'satchel-items',
          EMBEDDING_DIMENSION: '1024',
        }),
      },
    });
  });

  test('sandboxes: VPC without NAT, gateway endpoints, encrypted retained EFS, access point, Fargate task mounting the Desktop', () => {
    data.resourceCountIs('AWS::EC2::NatGateway', 0);
    data.resourceCountIs('AWS::EC2::InternetGateway', 0);
    data.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    for (const service of ['s3', 'dynamodb']) {
      data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`\\.${service}$`)])] },
      });
    }
    data.hasResource('AWS::EFS::FileSystem', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ Encrypted: true }) });
    data.hasResourceProperties('AWS::EFS::AccessPoint', {
      RootDirectory: Match.objectLike({ Path: SANDBOX_EFS_ROOT }),
      PosixUser: { Uid: '1000', Gid: '1000' },
    });
    data.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Volumes: [
        Match.objectLike({
          EFSVolumeConfiguration: Match.objectLike({ TransitEncryption: 'ENABLED', AuthorizationConfig: { IAM: 'ENABLED' } }),
        }),
      ],
      ContainerDefinitions: [Match.objectLike({ MountPoints: [Match.objectLike({ ContainerPath: SANDBOX_DESKTOP, ReadOnly: false })] })],
    });
  });

  test("every sandbox role is bounded to mounts through an access point: never the root, never the functions' access point, never as root; the base revision's role mounts nothing (issue 12)", () => {
    const all = resources(data);
    const taskDefinition = Object.values(all).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!;
    const taskRoleId = taskDefinition.Properties.TaskRoleArn['Fn::GetAtt'][0];
    const functionsAccessPoint = Object.keys(all).find((id) => all[id].Type === 'AWS::EFS::AccessPoint')!;
    type Statement = { Effect: string; Action: string | string[]; Condition?: Record<string, any>; Resource: unknown };
    // the base role: one deny of every client action, no allow
    const base = Object.values(all)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(taskRoleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
    expect(base).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SandboxFileSystem/), 'Arn'] },
      }),
    ]);
    expect(base[0].Condition).toBeUndefined();
    // the boundary of every sandbox role (the launcher's roles; their inline policy narrows it to one access point)
    const boundaries = Object.entries(all).filter(
      ([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && id.startsWith('SandboxRoleBoundary'),
    );
    expect(boundaries).toHaveLength(1);
    const efs = boundaries[0][1].Properties.PolicyDocument.Statement as Statement[];
    expect(efs.every((st) => [st.Action].flat().every((action) => action.startsWith('elasticfilesystem:Client')))).toBe(true);
    const allows = efs.filter((st) => st.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect([allows[0].Action].flat().sort()).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    expect(JSON.stringify(allows[0].Resource)).toContain('SandboxFileSystem');
    expect(allows[0].Condition).toEqual({
      ArnLike: {
        'elasticfilesystem:AccessPointArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':elasticfilesystem:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':access-point/*',
            ],
          ],
        },
      },
      Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
    });
    const denies = efs.filter((st) => st.Effect === 'Deny');
    const denied = (condition: unknown) => denies.find((st) => JSON.stringify(st.Condition) === JSON.stringify(condition));
    // a mount without an access point is the whole file system
    expect([denied({ Null: { 'elasticfilesystem:AccessPointArn': 'true' } })!.Action].flat()).toEqual(
      expect.arrayContaining(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
    );
    // the functions' access point sees every desktop
    const notFunctions = denies.find((st) => st.Condition?.ArnEquals)!;
    expect(JSON.stringify(notFunctions.Condition!.ArnEquals['elasticfilesystem:AccessPointArn'])).toContain(functionsAccessPoint);
    expect([notFunctions.Action].flat()).toEqual(
      expect.arrayContaining(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
    );
    expect(denies.find((st) => !st.Condition && st.Action === 'elasticfilesystem:ClientRootAccess')).toBeDefined();
    // the task definition CDK makes names no access point: started as-is it cannot mount at all
    expect(taskDefinition.Properties.Volumes[0].EFSVolumeConfiguration.AuthorizationConfig).toEqual({ IAM: 'ENABLED' });
  });

  test('outputs: every table name, the bucket name and the vector endpoint under their stable names', () => {
    const outputs = data.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const id of tableIds) expect(outputs[tableOutput(id)]).toEqual({ Value: tableRef(data, id) });
    expect(outputs[BUCKET_NAME_OUTPUT]).toEqual({ Value: bucketRef() });
    expect(outputs[VECTOR_ENDPOINT_OUTPUT]).toEqual({ Value: domainEndpoint() });
  });

  test('retained resources keep their logical ids: a change of id would make CloudFormation replace (lose) the data', () => {
    const retained = Object.entries(resources(data))
      .filter(([, r]) => r.DeletionPolicy?.startsWith('Retain'))
      .map(([id, r]) => `${r.Type} ${id}`);
    expect(retained.sort()).toEqual([
      'AWS::DynamoDB::Table ApiKeysTable9F4DC7E7',
      'AWS::DynamoDB::Table DeploymentsTable5D087E52',
      'AWS::DynamoDB::Table ManifestsTable38003827',
      'AWS::DynamoDB::Table SessionsTable7C302024',
      'AWS::DynamoDB::Table SyncRecordsTableDE98C61F',
      'AWS::DynamoDB::Table WorkspacesTable4AC35086',
      'AWS::EFS::FileSystem SandboxFileSystem35E89AC3',
      'AWS::OpenSearchService::Domain VectorSearchDomain89BE157D',
      'AWS::S3::Bucket DataBucketE3889A50',
    ]);
  });

  test('the data stack exports nothing: the API reads its outputs by weak reference, so no export can block an update', () => {
    expect(Object.values(data.toJSON().Outputs as Record<string, { Export?: unknown }>).filter((o) => o.Export)).toEqual([]);
    const json = JSON.stringify([...apiStacks.values()].map((t) => t.toJSON()));
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).toContain('"Fn::GetStackOutput":{"StackName":"SatchelData"');
  });
});

describe('API stack', () => {
  test('one function per route and per job (+ the authorizer), all ARM64 on Node.js 22 with tracing and Powertools', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(routes.length + jobs.length + 1);
    for (const s of specs) lambdaOf(s);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: 'satchel',
            POWERTOOLS_METRICS_NAMESPACE: 'Satchel',
          }),
        },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    for (const t of apiStacks.values()) t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    // no --enable-source-maps by default: reading the source map costs every cold start (docs/benchmarks.md)
    expect(functions.filter((fn) => fn.Properties.Environment.Variables.NODE_OPTIONS !== undefined)).toEqual([]);
  });

  test("one nested stack per surface (handler folder) holds that surface's functions, routes and jobs", () => {
    const surfaces = new Set(specs.map((s) => surfaceOf(s.handler)));
    expect(surfaces.size).toBeGreaterThan(3);
    parent.resourceCountIs('AWS::CloudFormation::Stack', surfaces.size);
    parent.resourceCountIs('AWS::Lambda::Function', 1); // the authorizer
    parent.resourceCountIs('AWS::ApiGatewayV2::Route', 0);
    for (const s of specs) expect(apiStacks.has(home(s))).toBe(true);
  });

  test('one API route per row; the authorizer guards every protected route and none of the open ones', () => {
    expect(ofType('AWS::ApiGatewayV2::Route')).toHaveLength(routes.length);
    parent.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    parent.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerPayloadFormatVersion: '2.0',
    });
    const byKey = new Map(ofType('AWS::ApiGatewayV2::Route').map((r) => [r.Properties.RouteKey, r.Properties]));
    for (const route of routes) {
      const apiRoute = byKey.get(`${route.method} ${route.path}`);
      expect(apiRoute).toBeDefined();
      if (route.auth) expect(apiRoute).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: expect.anything() });
      else expect(apiRoute?.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    expect(routes.some((r) => !r.auth)).toBe(true);
  });

  test('stage throttling from context; CORS preflight for browser clients', () => {
    parent.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 40, ThrottlingBurstLimit: 80 },
    });
    parent.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'], AllowHeaders: ['authorization', 'content-type'] }),
    });
  });

  test('each function gets the env vars of exactly the tables and bucket its row names, each naming that table or bucket', () => {
    for (const s of specs) {
      const variables = lambdaOf(s).Environment.Variables as Record<string, unknown>;
      const tableVars = Object.keys(variables)
        .filter((k) => k.startsWith('TABLE_'))
        .sort();
      const named = Object.keys(s.access.tables ?? {}) as TableId[];
      expect(tableVars).toEqual(named.map(tableEnvVar).sort());
      for (const id of named) expect(throughDataOutputs(data, variables[tableEnvVar(id)])).toEqual(tableRef(data, id));
      expect(BUCKET_ENV_VAR in variables).toBe(Boolean(s.access.bucket));
      if (s.access.bucket) expect(throughDataOutputs(data, variables[BUCKET_ENV_VAR])).toEqual(bucketRef());
    }
  });

  test('a read-only row gets no write action; a write row does', () => {
    const readOnly = specs.filter(
      (s) =>
        Object.values(s.access.tables ?? {}).every((l) => l === 'read') &&
        s.access.bucket !== 'write' &&
        s.access.search !== 'write' &&
        !s.access.sandbox,
    );
    expect(readOnly.length).toBeGreaterThan(1);
    for (const s of readOnly) {
      const actions = actionsOf(s);
      expect(actions).toContain('logs:PutLogEvents');
      if (s.access.tables) expect(actions).toContain('dynamodb:GetItem');
      expect(actions.filter((a) => WRITE_ACTIONS.includes(a))).toEqual([]);
    }
    const spec = (handler: string) => specs.find((s) => s.handler === handler)!;
    expect(actionsOf(spec('items/add-item'))).toEqual(expect.arrayContaining(['dynamodb:PutItem', 's3:PutObject', 'es:ESHttpPut']));
    expect(actionsOf(spec('items/search-items'))).toEqual(expect.arrayContaining(['dynamodb:Query', 'es:ESHttpPost']));
    expect(actionsOf(spec('items/get-item'))).toEqual(expect.arrayContaining(['dynamodb:GetItem', 's3:GetObject*']));
    // presign signs puts that tag their object (x-amz-tagging needs s3:PutObjectTagging); confirm clears the tag
    for (const handler of ['sync/presign-urls', 'sync/confirm-uploads'])
      expect([handler, actionsOf(spec(handler))]).toEqual([handler, expect.arrayContaining(['s3:PutObject', 's3:PutObjectTagging'])]);
  });

  test("bucket grants reach the objects of the function's own surface only (issue 12: least privilege)", () => {
    const prefixOf: Record<string, string> = { sync: '(sync|incoming)/', items: 'items/', files: 'deployments/' };
    const withBucket = specs.filter((s) => s.access.bucket);
    expect(withBucket.length).toBeGreaterThan(10);
    for (const s of withBucket) {
      const s3 = ofType('AWS::IAM::Policy')
        .filter((r) => cdkPath(r).startsWith(`${home(s)}/${s.name}/Role/`) || cdkPath(r).startsWith(`${home(s)}/${s.name}SearchRole/`))
        .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((st) => JSON.stringify(st.Action).includes('s3:'));
      expect(s3.length).toBeGreaterThan(0);
      const objectResources = s3
        .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
        .map((r) => JSON.stringify(r))
        .filter((r) => r.includes('/'));
      expect(objectResources.length).toBeGreaterThan(0);
      // every object ARN ends with the surface's prefix (or, for writers, its staging prefix): `…/sync/*`, never `…/*`
      for (const r of objectResources) expect(r).toMatch(new RegExp(`"/${prefixOf[s.handler.split('/')[0]]}\\*"`));
      // sync writers reach the staged uploads (presign signs them, confirm copies them); readers do not
      if (s.handler.startsWith('sync/'))
        expect([s.handler, objectResources.some((r) => r.includes('"/incoming/*"'))]).toEqual([s.handler, s.access.bucket === 'write']);
      // read rows cannot write or delete there either
      if (s.access.bucket === 'read') expect(s3.flatMap((st) => [st.Action].flat()).filter((a) => WRITE_ACTIONS.includes(a))).toEqual([]);
    }
  });

  test('quota settings reach exactly the functions that enforce them (docs/api.md, Quotas)', () => {
    const variablesOf = (handler: string) => lambdaOf(specs.find((s) => s.handler === handler)!).Environment.Variables;
    expect(variablesOf('files/create-deployment')).toMatchObject({ SATCHEL_MAX_RUNNING_SANDBOXES: '10' });
    expect(variablesOf('sync/presign-urls')).toMatchObject({ SATCHEL_MAX_MULTIPART_UPLOADS_PER_CALL: '10' });
    expect(variablesOf('items/add-item')).toMatchObject({ SATCHEL_MAX_PENDING_FETCHES: '20', SATCHEL_FETCH_MIN_BYTES_PER_SECOND: '16384' });
    expect(variablesOf('items/process-manifest-changes')).toMatchObject({
      SATCHEL_INGEST_CONCURRENCY: '16',
      SATCHEL_INGEST_TENANT_CONCURRENCY: '4',
    });
    expect(variablesOf('files/list-deployments').SATCHEL_MAX_RUNNING_SANDBOXES).toBeUndefined();
  });

  test("search and embed rows: OpenSearch env naming the data stack's domain, Bedrock limited to the Titan V2 model", () => {
    const searchers = specs.filter((s) => s.access.search);
    expect(searchers.length).toBeGreaterThan(0);
    for (const s of searchers) {
      const variables = lambdaOf(s).Environment.Variables;
      expect(variables).toMatchObject({
        SATCHEL_VECTOR_BACKEND: 'opensearch',
        OPENSEARCH_INDEX: 'satchel-items',
        OPENSEARCH_SERVERLESS: 'false',
      });
      expect(throughDataOutputs(data, variables.OPENSEARCH_ENDPOINT)).toEqual(domainEndpoint());
    }
    const embedders = specs.filter((s) => s.access.embed);
    expect(embedders.length).toBeGreaterThan(0);
    for (const s of embedders) {
      expect(lambdaOf(s).Environment.Variables).toMatchObject({
        SATCHEL_EMBEDDER: 'bedrock',
        BEDROCK_MODEL_ID: 'amazon.titan-embed-text-v2:0',
        EMBEDDING_DIMENSION: '1024',
      });
    }
    const bedrock = ofType('AWS::IAM::Policy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => JSON.stringify(s.Action).includes('bedrock:'));
    expect(bedrock.length).toBe(embedders.length);
    for (const statement of bedrock) {
      expect(statement.Action).toBe('bedrock:InvokeModel');
      expect(JSON.stringify(statement.Resource)).toMatch(/:bedrock:.*::foundation-model\/amazon\.titan-embed-text-v2:0"/);
    }
  });

  test('item functions get the scope TTLs given as context; others do not', () => {
    const items = specs.filter((s) => s.handler.startsWith('items/'));
    expect(items.length).toBeGreaterThan(0);
    for (const s of specs) {
      const variables = lambdaOf(s).Environment.Variables;
      if (items.includes(s)) expect(variables).toMatchObject({ SATCHEL_TTL_AGENT_SECONDS: '120', SATCHEL_TTL_TEMPORARY_SECONDS: '30' });
      else expect(variables.SATCHEL_TTL_AGENT_SECONDS).toBeUndefined();
      expect(variables.SATCHEL_TTL_SESSION_SECONDS).toBeUndefined();
    }
  });

  test('sandbox rows run in the VPC with the EFS access point at /mnt/sandboxes; launcher off by default', () => {
    const sandboxed = specs.filter((s) => s.access.sandbox);
    expect(sandboxed.length).toBeGreaterThan(0);
    for (const s of specs) {
      const fn = lambdaOf(s);
      if (!s.access.sandbox) {
        expect(fn.VpcConfig).toBeUndefined();
        continue;
      }
      expect(fn.VpcConfig.SubnetIds).toHaveLength(2);
      expect(fn.FileSystemConfigs).toEqual([expect.objectContaining({ LocalMountPath: SANDBOX_LAMBDA_MOUNT })]);
      expect(fn.Environment.Variables).toMatchObject({ SATCHEL_SANDBOX_ROOT: `${SANDBOX_LAMBDA_MOUNT}/`, SANDBOX_LAUNCHER: 'none' });
      expect(actionsOf(s)).not.toContain('ecs:RunTask');
    }
  });

  test('every function with a VpcConfig can create its network interfaces before Lambda creates it', () => {
    const vpcAccess = `:iam::aws:policy/${VPC_ACCESS_POLICY}`;
    for (const t of apiStacks.values()) {
      const own = resources(t);
      for (const [id, fn] of Object.entries(own).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.VpcConfig)) {
        const roleId = fn.Properties.Role['Fn::GetAtt']?.[0];
        expect(own[roleId]?.Type).toBe('AWS::IAM::Role'); // its own role, in its own template
        expect(JSON.stringify(own[roleId].Properties.ManagedPolicyArns)).toContain(vpcAccess);
        expect(fn.DependsOn ?? []).toContain(roleId);
        expect(id).toBeTruthy();
      }
    }
    expect(specs.filter((s) => lambdaOf(s).VpcConfig)).toHaveLength(specs.filter((s) => s.access.sandbox).length);
  });

  test('deployment views show the Desktop as the sandbox sees it: every files function carries the sandbox path', () => {
    for (const s of specs) {
      const variables = lambdaOf(s).Environment.Variables;
      if (s.handler.startsWith('files/')) expect(variables.SATCHEL_SANDBOX_DESKTOP_PATH).toBe(SANDBOX_DESKTOP);
      else expect(variables.SATCHEL_SANDBOX_DESKTOP_PATH).toBeUndefined();
    }
  });

  test('jobs: a schedule becomes an EventBridge rule, a stream a filtered, bounded event source mapping on that table', () => {
    const scheduled = jobs.filter((j) => 'schedule' in j.trigger);
    const streamed = jobs.filter((j) => 'stream' in j.trigger);
    expect(scheduled.length).toBeGreaterThan(0);
    expect(streamed.length).toBeGreaterThan(0);
    expect(ofType('AWS::Events::Rule')).toHaveLength(scheduled.length);
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(streamed.length);
    for (const job of scheduled) {
      expect(ofType('AWS::Events::Rule').map((r) => r.Properties.ScheduleExpression)).toContain(
        (job.trigger as { schedule: string }).schedule,
      );
    }
    for (const job of streamed) {
      const trigger = job.trigger as StreamTrigger;
      expect(TABLES[trigger.stream].stream).toBeDefined();
      const fn = lambdaOf(jobFunction(job));
      const mapping = mappings.find((m) =>
        JSON.stringify(m.Properties.FunctionName).includes(Object.entries(apiResources).find(([, r]) => r.Properties === fn)![0]),
      )!.Properties;
      expect(throughDataOutputs(data, mapping.EventSourceArn)).toEqual({ 'Fn::GetAtt': [tableRef(data, trigger.stream).Ref, 'StreamArn'] });
      expect(mapping).toMatchObject({
        BatchSize: trigger.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: trigger.filters.map((f) => ({ Pattern: JSON.stringify(f) })) },
      });
      // failures land in the job's own dead-letter queue
      const deadLetters = mapping.DestinationConfig.OnFailure.Destination['Fn::GetAtt'];
      expect(deadLetters).toEqual([expect.any(String), 'Arn']);
      expect(apiResources[deadLetters[0]]).toMatchObject({ Type: 'AWS::SQS::Queue' });
      expect(cdkPath(apiResources[deadLetters[0]])).toBe(`${home(jobFunction(job))}/${jobFunction(job).name}DeadLetters/Resource`);
      expect(trigger.batchSize).toBeLessThanOrEqual(10);
      // named after the stream's view type: a new stream (new ARN, same output) replaces the mapping
      expect(Object.keys(apiResources).filter((id) => apiResources[id].Properties === mapping)).toEqual([
        `${jobFunction(job).name}NewAndOldImagesMapping`,
      ]);
      expect(trigger.filters.length).toBeGreaterThan(0);
    }
  });

  test('the manifests consumer is invoked for TTL removals of items and pending fileUrl items only, with time for a slow fetch', () => {
    const consumer = JOBS.find((j) => j.handler === 'items/process-manifest-changes')!;
    const patterns = (consumer.trigger as StreamTrigger).filters.map((f) => JSON.stringify(f));
    expect(patterns).toEqual([
      expect.stringContaining('"principalId":["dynamodb.amazonaws.com"]'),
      expect.stringContaining('"NewImage":{"status":{"S":["pending"]}'),
    ]);
    expect(TABLES.manifests.stream).toBe('NEW_AND_OLD_IMAGES'); // the pending filter reads the new image
    const fn = lambdaOf(jobFunction(consumer));
    expect(fn.Environment.Variables.SATCHEL_FETCH_TIMEOUT_SECONDS).toBe(String(BACKGROUND_FETCH_DEADLINE_SECONDS));
    expect(fn.Timeout).toBeGreaterThanOrEqual(2 * BACKGROUND_FETCH_DEADLINE_SECONDS);
  });

  test('POST /mcp touches no data itself: it may invoke exactly the functions of the routes its tools call, and knows their names', () => {
    const serve = routeFunction(routes.find((r) => r.method === 'POST' && r.path === '/mcp')!);
    expect(actionsOf(serve).filter((a) => !/^(logs|xray):/.test(a))).toEqual(['lambda:InvokeFunction']);
    const [statement] = ofType('AWS::IAM::Policy')
      .filter((r) => cdkPath(r).startsWith(`${home(serve)}/${serve.name}/Role/`))
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .filter((st: { Action: unknown }) => st.Action === 'lambda:InvokeFunction');
    // each resource is the ARN of one target's function, handed over from its surface's stack
    const arns = JSON.stringify(statement.Resource);
    expect(MCP_TARGETS.length).toBeGreaterThan(0);
    expect(statement.Resource).toHaveLength(MCP_TARGETS.length);
    const variables = lambdaOf(serve).Environment.Variables;
    const names = JSON.stringify(variables.SATCHEL_ROUTE_FUNCTIONS);
    for (const handler of MCP_TARGETS) {
      const target = `${surfaceStackId(surfaceOf(handler))}${functionName({ handler })}Function`;
      expect(arns.match(new RegExp(`${target}[0-9A-F]{8}Arn`, 'g'))).toHaveLength(1);
      expect(names).toContain(handler);
      expect(names.match(new RegExp(`${target}[0-9A-F]{8}Ref`, 'g'))).toHaveLength(1);
    }
    expect(Object.keys(variables).filter((k) => k.startsWith('TABLE_') || k === BUCKET_ENV_VAR)).toEqual([]);
    expect(lambdaOf(serve).VpcConfig).toBeUndefined();
  });

  test('the docs functions find swagger-ui in their bundle', () => {
    const docs = routes.filter((r: Route) => r.path === '/docs' || r.path.startsWith('/docs/'));
    expect(docs.length).toBeGreaterThan(0);
    for (const route of docs) {
      expect(lambdaOf(routeFunction(route)).Environment.Variables.SWAGGER_UI_DIR).toBe('/var/task/swagger-ui');
    }
  });

  test('outputs: API URL, every table name and the bucket name under their stable names', () => {
    const outputs = parent.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[API_URL_OUTPUT]).toEqual({
      Value: { 'Fn::GetAtt': [logicalIdAt(parent, 'SatchelApi/HttpApi/Resource'), 'ApiEndpoint'] },
    });
    // each names the data stack's own table (the key table included), read through its output
    for (const id of tableIds) expect(throughDataOutputs(data, outputs[tableOutput(id)].Value)).toEqual(tableRef(data, id));
    expect(throughDataOutputs(data, outputs[BUCKET_NAME_OUTPUT].Value)).toEqual(bucketRef());
  });
});

describe('AWS limits', () => {
  test('every stack, template, policy and environment of this app stays under its limit with headroom', () => {
    expectWithinLimits(app.synth());
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('no unsuppressed finding, and every acknowledgement says why', () => {
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    const nag = report.pluginReports.find((p: { pluginName: string }) => p.pluginName === 'AwsSolutions');
    expect(nag.violations).toEqual([]);
    expect(nag.conclusion).toBe('success');
    expect(nag.suppressedViolations.length).toBeGreaterThan(0);
    for (const suppressed of nag.suppressedViolations) expect(suppressed.reason.length).toBeGreaterThan(40);
  });
});
