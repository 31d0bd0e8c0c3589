import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BUCKET, BUCKET_ENV_VAR, TABLES, tableEnvVar, type TableId } from '../../lib/data-model';
import { jobFunction, routeFunction, type FunctionSpec } from '../../lib/functions';
import { API_URL_OUTPUT, BUCKET_NAME_OUTPUT, tableOutput } from '../../lib/outputs';
import { functionName, type Route } from '../../lib/routes';
import { SANDBOX_DESKTOP, SANDBOX_EFS_ROOT, SANDBOX_LAMBDA_MOUNT } from '../../lib/constructs/sandbox-storage';
import { buildApp, removeStubs, TABLES_UNDER_TEST } from './support';

// Synthesis of both stacks takes tens of seconds on a shared machine: build each variant once.
jest.setTimeout(600_000);

const { routes, jobs } = TABLES_UNDER_TEST;
const specs: FunctionSpec[] = [...routes.map(routeFunction), ...jobs.map(jobFunction)];
const tableIds = Object.keys(TABLES) as TableId[];

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; Metadata?: Record<string, string> }>;

let app: ReturnType<typeof buildApp>['app'];
let data: Template;
let api: Template;

beforeAll(() => {
  const built = buildApp({ ttlAgentSeconds: '120', ttlTemporarySeconds: '30' });
  app = built.app;
  data = Template.fromStack(built.data);
  api = Template.fromStack(built.api);
});
afterAll(removeStubs);

const resources = (t: Template): Resources => t.toJSON().Resources;
const cdkPath = (r: Resources[string]) => r.Metadata?.['aws:cdk:path'] ?? '';

/** The Lambda function of a route or job, by its stable name. */
function lambdaOf(name: string) {
  const found = Object.values(resources(api)).filter((r) => r.Type === 'AWS::Lambda::Function' && cdkPath(r) === `SatchelApi/${name}/Function/Resource`);
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

/** Every action granted to a function's role (its own role, or the search role imported from the data stack). */
function actionsOf(name: string): string[] {
  return Object.values(resources(api))
    .filter((r) => r.Type === 'AWS::IAM::Policy'
      && (cdkPath(r).startsWith(`SatchelApi/${name}/Role/`) || cdkPath(r).startsWith(`SatchelApi/${name}SearchRole/`)))
    .flatMap((r) => r.Properties.PolicyDocument.Statement)
    .flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

const WRITE_ACTIONS = [
  'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem',
  's3:PutObject', 's3:DeleteObject*', 's3:Abort*', 's3:PutObjectLegalHold', 'es:ESHttpPut', 'es:ESHttpDelete',
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
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    });
    const rules = Object.values(resources(data)).find((r) => r.Type === 'AWS::S3::Bucket')!.Properties.LifecycleConfiguration.Rules;
    expect(rules).toHaveLength(BUCKET.lifecycleRules.length);
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ Id: 'items-agent', Prefix: 'items/agent/', ExpirationInDays: 7, Status: 'Enabled' }),
      expect.objectContaining({ Id: 'items-session', Prefix: 'items/session/', ExpirationInDays: 1 }),
      expect.objectContaining({ Id: 'items-temporary', Prefix: 'items/temporary/', ExpirationInDays: 1 }),
      expect.objectContaining({ Id: 'unconfirmed-uploads', Prefix: 'incoming/', ExpirationInDays: 1 }),
      expect.objectContaining({ Id: 'abort-multipart', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
    ]));
    data.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]) },
    });
  });

  test('OpenSearch domain: encrypted at rest and between nodes, HTTPS/TLS 1.2 only, retained, policy names only the search roles', () => {
    data.hasResource('AWS::OpenSearchService::Domain', {
      DeletionPolicy: 'Retain',
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

  test('the index is created by a custom resource (Provider framework) that is told the domain, index and dimension', () => {
    data.resourceCountIs('Custom::SatchelVectorIndex', 1);
    data.hasResourceProperties('Custom::SatchelVectorIndex', { index: 'satchel-items', dimension: 1024 });
    data.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({
        OPENSEARCH_DOMAIN_NAME: Match.anyValue(),
        OPENSEARCH_ENDPOINT: Match.anyValue(),
        OPENSEARCH_INDEX: 'satchel-items',
        EMBEDDING_DIMENSION: '1024',
      }) },
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
      Volumes: [Match.objectLike({
        EFSVolumeConfiguration: Match.objectLike({ TransitEncryption: 'ENABLED', AuthorizationConfig: { IAM: 'ENABLED' } }),
      })],
      ContainerDefinitions: [Match.objectLike({ MountPoints: [Match.objectLike({ ContainerPath: SANDBOX_DESKTOP, ReadOnly: false })] })],
    });
  });

  test('outputs: every table name and the bucket name under their stable names', () => {
    for (const id of tableIds) data.hasOutput(tableOutput(id), {});
    data.hasOutput(BUCKET_NAME_OUTPUT, {});
  });
});

describe('API stack', () => {
  test('one function per route and per job (+ the authorizer), all ARM64 on Node.js 22 with tracing and Powertools', () => {
    const functions = Object.values(resources(api)).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(routes.length + jobs.length + 1);
    for (const s of specs) lambdaOf(s.name);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: expect.objectContaining({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'satchel',
          POWERTOOLS_METRICS_NAMESPACE: 'Satchel',
        }) },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    api.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('one API route per row; the authorizer guards every protected route and none of the open ones', () => {
    api.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
    api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerPayloadFormatVersion: '2.0',
    });
    const byKey = new Map(Object.values(resources(api))
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => [r.Properties.RouteKey, r.Properties]));
    for (const route of routes) {
      const apiRoute = byKey.get(`${route.method} ${route.path}`);
      expect(apiRoute).toBeDefined();
      if (route.auth) expect(apiRoute).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: expect.anything() });
      else expect(apiRoute?.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    expect(routes.some((r) => !r.auth)).toBe(true);
  });

  test('each function gets the env vars of exactly the tables and bucket its row names', () => {
    for (const s of specs) {
      const variables = lambdaOf(s.name).Environment.Variables as Record<string, unknown>;
      const tableVars = Object.keys(variables).filter((k) => k.startsWith('TABLE_')).sort();
      expect(tableVars).toEqual(Object.keys(s.access.tables ?? {}).map((id) => tableEnvVar(id as TableId)).sort());
      expect(BUCKET_ENV_VAR in variables).toBe(Boolean(s.access.bucket));
    }
  });

  test('a read-only row gets no write action; a write row does', () => {
    const readOnly = specs.filter((s) => Object.values(s.access.tables ?? {}).every((l) => l === 'read')
      && s.access.bucket !== 'write' && s.access.search !== 'write' && !s.access.sandbox);
    expect(readOnly.length).toBeGreaterThan(1);
    for (const s of readOnly) {
      const actions = actionsOf(s.name);
      expect(actions).toContain('logs:PutLogEvents');
      if (s.access.tables) expect(actions).toContain('dynamodb:GetItem');
      expect(actions.filter((a) => WRITE_ACTIONS.includes(a))).toEqual([]);
    }
    const writer = actionsOf(functionName({ handler: 'items/fixture-add' }));
    expect(writer).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'es:ESHttpPut']));
    expect(actionsOf(functionName({ handler: 'items/fixture-search' }))).toEqual(expect.arrayContaining(['dynamodb:Query', 'es:ESHttpPost', 's3:GetObject*']));
  });

  test('search and embed rows: OpenSearch env, Bedrock limited to the Titan V2 model', () => {
    const name = functionName({ handler: 'items/fixture-search' });
    expect(lambdaOf(name).Environment.Variables).toMatchObject({
      SATCHEL_VECTOR_BACKEND: 'opensearch',
      OPENSEARCH_ENDPOINT: expect.anything(),
      OPENSEARCH_INDEX: 'satchel-items',
      OPENSEARCH_SERVERLESS: 'false',
      SATCHEL_EMBEDDER: 'bedrock',
      BEDROCK_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      EMBEDDING_DIMENSION: '1024',
    });
    const bedrock = Object.values(resources(api))
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => JSON.stringify(s.Action).includes('bedrock:'));
    expect(bedrock.length).toBe(specs.filter((s) => s.access.embed).length);
    for (const statement of bedrock) {
      expect(statement.Action).toBe('bedrock:InvokeModel');
      expect(JSON.stringify(statement.Resource)).toMatch(/:bedrock:.*::foundation-model\/amazon\.titan-embed-text-v2:0"/);
    }
  });

  test('item functions get the scope TTLs given as context; others do not', () => {
    const items = specs.filter((s) => s.handler.startsWith('items/'));
    expect(items.length).toBeGreaterThan(0);
    for (const s of specs) {
      const variables = lambdaOf(s.name).Environment.Variables;
      if (items.includes(s)) expect(variables).toMatchObject({ SATCHEL_TTL_AGENT_SECONDS: '120', SATCHEL_TTL_TEMPORARY_SECONDS: '30' });
      else expect(variables.SATCHEL_TTL_AGENT_SECONDS).toBeUndefined();
      expect(variables.SATCHEL_TTL_SESSION_SECONDS).toBeUndefined();
    }
  });

  test('sandbox rows run in the VPC with the EFS access point at /mnt/sandboxes; launcher off by default', () => {
    const sandboxed = specs.filter((s) => s.access.sandbox);
    expect(sandboxed.length).toBeGreaterThan(0);
    for (const s of specs) {
      const fn = lambdaOf(s.name);
      if (!s.access.sandbox) {
        expect(fn.VpcConfig).toBeUndefined();
        continue;
      }
      expect(fn.VpcConfig.SubnetIds).toHaveLength(2);
      expect(fn.FileSystemConfigs).toEqual([expect.objectContaining({ LocalMountPath: SANDBOX_LAMBDA_MOUNT })]);
      expect(fn.Environment.Variables).toMatchObject({ SATCHEL_SANDBOX_ROOT: `${SANDBOX_LAMBDA_MOUNT}/`, SANDBOX_LAUNCHER: 'none' });
      expect(actionsOf(s.name)).not.toContain('ecs:RunTask');
    }
  });

  test('jobs: a schedule becomes an EventBridge rule, a stream an event source mapping on that table', () => {
    const scheduled = jobs.filter((j) => 'schedule' in j.trigger);
    const streamed = jobs.filter((j) => 'stream' in j.trigger);
    api.resourceCountIs('AWS::Events::Rule', scheduled.length);
    api.resourceCountIs('AWS::Lambda::EventSourceMapping', streamed.length);
    for (const job of scheduled) {
      api.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: (job.trigger as { schedule: string }).schedule });
    }
    for (const job of streamed) {
      const table = (job.trigger as { stream: TableId }).stream;
      expect(TABLES[table].stream).toBeDefined();
      api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp(`${table.charAt(0).toUpperCase()}${table.slice(1)}Table.*StreamArn`) },
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
  });

  test('the docs functions find swagger-ui in their bundle', () => {
    const docs = routes.filter((r: Route) => r.path === '/docs' || r.path.startsWith('/docs/'));
    expect(docs.length).toBeGreaterThan(0);
    for (const route of docs) {
      expect(lambdaOf(functionName(route)).Environment.Variables.SWAGGER_UI_DIR).toBe('/var/task/swagger-ui');
    }
  });

  test('each stack stays under CloudFormation\'s 500-resource limit (about 7 resources per route)', () => {
    expect(Object.keys(resources(api)).length).toBeLessThan(500);
    expect(Object.keys(resources(data)).length).toBeLessThan(500);
  });

  test('outputs: API URL, every table name and the bucket name under their stable names', () => {
    api.hasOutput(API_URL_OUTPUT, {});
    for (const id of tableIds) api.hasOutput(tableOutput(id), {});
    api.hasOutput(BUCKET_NAME_OUTPUT, {});
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
