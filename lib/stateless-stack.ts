import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUCKET_ENV_VAR, tableEnvVar, type TableId } from './data-model';
import { AUTHORIZER_HANDLER, jobFunction, routeFunction, type FunctionSpec, type FunctionTables } from './functions';
import type { Job } from './jobs';
import { acknowledge } from './nag';
import { API_URL_OUTPUT, BUCKET_NAME_OUTPUT, tableOutput } from './outputs';
import type { Access, Route } from './routes';
import { ITEM_SCOPES, type Settings } from './settings';
import { SANDBOX_LAMBDA_MOUNT } from './constructs/sandbox-storage';
import { SatchelFunction } from './constructs/satchel-function';
import type { SatchelDataStack } from './stateful-stack';

export interface SatchelApiStackProps extends StackProps {
  settings: Settings;
  data: SatchelDataStack;
  functionTables: FunctionTables;
  /** Where handler modules live (tests use stubs when bundling is skipped). */
  lambdasRoot?: string;
}

/** How long API Gateway caches an authorizer answer per Authorization header: a revoked key works at most this long. */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);
export const BEDROCK_EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
/** Inside the bundle of the /docs functions (SWAGGER_UI_DIR). */
const SWAGGER_UI_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];
const isDocsRoute = (route: Route) => route.path === '/docs' || route.path.startsWith('/docs/');
const isItemsHandler = (handler: string) => handler.startsWith('items/');

/** Copies swagger-ui-dist's assets next to the bundle: the docs page is served offline, from the function. */
export const swaggerUiHooks: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [
    `mkdir -p "${outputDir}/swagger-ui"`,
    ...SWAGGER_UI_ASSETS.map((file) => `cp "${inputDir}/node_modules/swagger-ui-dist/${file}" "${outputDir}/swagger-ui/"`),
  ],
};

/**
 * The stateless half: the HTTP API, its authorizer and one function per route and per job, each
 * granted exactly its row's `access` on the data stack's resources.
 */
export class SatchelApiStack extends Stack {
  readonly api: apigw.HttpApi;
  /** Function of every route and job, by `functionName`. */
  readonly functions = new Map<string, lambda.IFunction>();
  private readonly props: SatchelApiStackProps;

  constructor(scope: Construct, id: string, props: SatchelApiStackProps) {
    super(scope, id, props);
    this.props = props;
    const { data } = props;

    const authorizerFunction = this.satchelFunction(
      { name: 'Authorizer', handler: AUTHORIZER_HANDLER, description: 'Satchel API key authorizer', access: { tables: { apiKeys: 'read' } } },
      { timeout: Duration.seconds(10) },
    );
    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });

    this.api = new apigw.HttpApi(this, 'HttpApi', {
      apiName: 'satchel',
      description: 'Satchel: durable storage for AI agents',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: props.settings.logRetentionDays as logs.RetentionDays,
    });
    new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });

    for (const route of props.functionTables.routes) {
      const spec = routeFunction(route);
      const fn = this.satchelFunction(spec, isDocsRoute(route) ? { swaggerUi: true } : {});
      const [apiRoute] = this.api.addRoutes({
        path: route.path,
        methods: [route.method as apigw.HttpMethod],
        integration: new HttpLambdaIntegration(`${spec.name}Integration`, fn),
        authorizer: route.auth ? authorizer : undefined,
      });
      if (!route.auth) {
        acknowledge(apiRoute, 'AwsSolutions-APIG4',
          `${route.method} ${route.path} is public by design (health check, API description or its docs page); it reads no tenant data.`);
      }
    }
    for (const job of props.functionTables.jobs) this.addJob(job);

    new CfnOutput(this, API_URL_OUTPUT, { value: this.api.apiEndpoint });
    for (const [tableId, table] of Object.entries(data.tables)) {
      new CfnOutput(this, tableOutput(tableId as TableId), { value: table.tableName });
    }
    new CfnOutput(this, BUCKET_NAME_OUTPUT, { value: data.bucket.bucketName });
  }

  private addJob(job: Job): void {
    const spec = jobFunction(job);
    const fn = this.satchelFunction(spec, { timeout: Duration.minutes(5) });
    if ('schedule' in job.trigger) {
      new events.Rule(this, `${spec.name}Schedule`, {
        description: spec.description,
        schedule: events.Schedule.expression(job.trigger.schedule),
        targets: [new targets.LambdaFunction(fn)],
      });
      return;
    }
    const table = this.props.data.tables[job.trigger.stream];
    const deadLetters = new sqs.Queue(this, `${spec.name}DeadLetters`, {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    acknowledge(deadLetters, 'AwsSolutions-SQS3',
      'This queue is itself the dead-letter destination of the stream consumer; records land here once retries are exhausted.');
    fn.addEventSource(new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      retryAttempts: 5,
      onFailure: new SqsDlq(deadLetters),
    }));
  }

  private satchelFunction(spec: FunctionSpec, options: { timeout?: Duration; swaggerUi?: boolean }): lambda.IFunction {
    const { data, settings } = this.props;
    const { access } = spec;
    const sandbox = access.sandbox ? data.sandbox : undefined;
    const searchRole = access.search
      ? iam.Role.fromRoleArn(this, `${spec.name}SearchRole`, data.vectors.roleArn(spec.name))
      : undefined;
    const made = new SatchelFunction(this, spec.name, {
      handler: spec.handler,
      description: spec.description,
      lambdasRoot: this.props.lambdasRoot,
      logRetentionDays: settings.logRetentionDays,
      timeout: options.timeout,
      memorySize: sandbox ? 1024 : undefined,
      role: searchRole,
      environment: this.functionEnvironment(spec, options.swaggerUi ?? false),
      commandHooks: options.swaggerUi ? swaggerUiHooks : undefined,
      ...(sandbox && {
        filesystem: sandbox.lambdaFileSystem(),
        vpc: sandbox.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [sandbox.functionSecurityGroup],
      }),
    });
    this.grant(made, access);
    this.functions.set(spec.name, made.function);
    return made.function;
  }

  private functionEnvironment(spec: FunctionSpec, swaggerUi: boolean): Record<string, string> {
    const { data, settings } = this.props;
    const { access } = spec;
    const env: Record<string, string> = {};
    for (const tableId of Object.keys(access.tables ?? {}) as TableId[]) {
      env[tableEnvVar(tableId)] = data.tables[tableId].tableName;
    }
    if (access.bucket) env[BUCKET_ENV_VAR] = data.bucket.bucketName;
    if (access.search) {
      Object.assign(env, {
        SATCHEL_VECTOR_BACKEND: 'opensearch',
        OPENSEARCH_ENDPOINT: data.vectors.endpoint,
        OPENSEARCH_INDEX: data.vectors.indexName,
        OPENSEARCH_SERVERLESS: String(data.vectors.serverless),
      });
    }
    if (access.embed) {
      Object.assign(env, {
        SATCHEL_EMBEDDER: 'bedrock',
        BEDROCK_MODEL_ID: BEDROCK_EMBEDDING_MODEL,
        EMBEDDING_DIMENSION: String(settings.embeddingDimension),
      });
    }
    if (access.sandbox) {
      env.SATCHEL_SANDBOX_ROOT = `${SANDBOX_LAMBDA_MOUNT}/`;
      Object.assign(env, settings.sandboxLauncher ? data.sandbox.launcherEnvironment() : { SANDBOX_LAUNCHER: 'none' });
    }
    if (isItemsHandler(spec.handler)) {
      for (const scope of ITEM_SCOPES) {
        const seconds = settings.scopeTtlSeconds[scope];
        if (seconds !== undefined) env[`SATCHEL_TTL_${scope.toUpperCase()}_SECONDS`] = String(seconds);
      }
    }
    if (swaggerUi) env.SWAGGER_UI_DIR = '/var/task/swagger-ui';
    return env;
  }

  /** Least privilege: exactly what the row's `access` names, read-only where it says read. */
  private grant(made: SatchelFunction, access: Access): void {
    const { data, settings } = this.props;
    const role = made.role;
    for (const [tableId, level] of Object.entries(access.tables ?? {}) as [TableId, 'read' | 'write'][]) {
      const table = data.tables[tableId];
      if (level === 'write') table.grantReadWriteData(role);
      else table.grantReadData(role);
    }
    if (access.bucket === 'write') data.bucket.grantReadWrite(role);
    else if (access.bucket === 'read') data.bucket.grantRead(role);
    if (access.search) data.vectors.grant(role, access.search);
    if (access.embed) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: [this.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: BEDROCK_EMBEDDING_MODEL })],
      }));
    }
    if (access.sandbox && settings.sandboxLauncher) data.sandbox.grantLaunch(role);
  }
}
