/**
 * How a route's or job's Lambda function is made wherever it lives (the API stack or one of its
 * surface stacks): its environment and exactly the grants its row's `access` names.
 */
import { Stack, type Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { BUCKET_ENV_VAR, ITEM_SCOPES, tableEnvVar, type TableId } from '../lambdas/kit/data-model';
import type { FunctionSpec } from './functions';
import type { Access } from '../lambdas/routes';
import type { Settings } from './settings';
import { SANDBOX_DESKTOP, SANDBOX_LAMBDA_MOUNT } from './constructs/sandbox-storage';
import { SatchelFunction } from './constructs/satchel-function';
import type { SatchelDataStack } from './stateful-stack';

export const BEDROCK_EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
/** Inside the bundle of the /docs functions (SWAGGER_UI_DIR). */
const SWAGGER_UI_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

/** Copies swagger-ui-dist's assets next to the bundle: the docs page is served offline, from the function. */
export const swaggerUiHooks: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [
    `mkdir -p "${outputDir}/swagger-ui"`,
    ...SWAGGER_UI_ASSETS.map((file) => `cp "${inputDir}/node_modules/swagger-ui-dist/${file}" "${outputDir}/swagger-ui/"`),
  ],
};

/** What every function of the app is built against. */
export interface FunctionContext {
  data: SatchelDataStack;
  settings: Settings;
  /** Where handler modules live (tests use stubs when bundling is skipped). */
  lambdasRoot?: string;
}

export interface FunctionOptions {
  timeout?: Duration;
  swaggerUi?: boolean;
  /** Settings beyond those the row's access implies (a job's own). */
  environment?: Record<string, string>;
}

/** One Satchel function in `scope` (construct id = `spec.name`), granted exactly `spec.access`. */
export function makeFunction(scope: Construct, ctx: FunctionContext, spec: FunctionSpec, options: FunctionOptions = {}): lambda.IFunction {
  const { data, settings } = ctx;
  const { access } = spec;
  const sandbox = access.sandbox ? data.sandbox : undefined;
  const searchRole = access.search ? iam.Role.fromRoleArn(scope, `${spec.name}SearchRole`, data.vectors.roleArn(spec.name)) : undefined;
  const made = new SatchelFunction(scope, spec.name, {
    handler: spec.handler,
    description: spec.description,
    lambdasRoot: ctx.lambdasRoot,
    logRetentionDays: settings.logRetentionDays,
    sourceMapStackTraces: settings.sourceMapStackTraces,
    timeout: options.timeout,
    memorySize: sandbox ? 1024 : undefined,
    role: searchRole,
    environment: { ...functionEnvironment(ctx, spec, options.swaggerUi ?? false), ...options.environment },
    commandHooks: options.swaggerUi ? swaggerUiHooks : undefined,
    ...(sandbox && {
      filesystem: sandbox.lambdaFileSystem(),
      vpc: sandbox.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [sandbox.functionSecurityGroup],
    }),
  });
  grant(ctx, made, access, spec.handler);
  return made.function;
}

function functionEnvironment(ctx: FunctionContext, spec: FunctionSpec, swaggerUi: boolean): Record<string, string> {
  const { data, settings } = ctx;
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
  if (access.sandbox) env.SATCHEL_SANDBOX_ROOT = `${SANDBOX_LAMBDA_MOUNT}/`;
  if (access.sandbox || access.launcher) {
    Object.assign(env, settings.sandboxLauncher ? data.sandbox.launcherEnvironment() : { SANDBOX_LAUNCHER: 'none' });
  }
  Object.assign(env, quotaEnvironment(spec.handler, settings));
  if (spec.handler.startsWith('files/')) {
    // Every deployment view shows the Desktop as the sandbox sees it, not as a function mounts it.
    env.SATCHEL_SANDBOX_DESKTOP_PATH = SANDBOX_DESKTOP;
  }
  if (spec.handler.startsWith('items/')) {
    for (const scope of ITEM_SCOPES) {
      const seconds = settings.scopeTtlSeconds[scope];
      if (seconds !== undefined) env[`SATCHEL_TTL_${scope.toUpperCase()}_SECONDS`] = String(seconds);
    }
  }
  if (swaggerUi) env.SWAGGER_UI_DIR = '/var/task/swagger-ui';
  return env;
}

/** The quota and fetch settings (docs/api.md, Quotas) of the functions that enforce them. */
function quotaEnvironment(handler: string, { quotas }: Settings): Record<string, string> {
  if (handler === 'files/create-deployment') return { SATCHEL_MAX_RUNNING_SANDBOXES: String(quotas.maxRunningSandboxesPerTenant) };
  if (handler === 'sync/presign-urls') return { SATCHEL_MAX_MULTIPART_UPLOADS_PER_CALL: String(quotas.maxMultipartUploadsPerCall) };
  if (!handler.startsWith('items/')) return {};
  return {
    SATCHEL_MAX_PENDING_FETCHES: String(quotas.maxPendingFetchesPerTenant),
    SATCHEL_FETCH_MIN_BYTES_PER_SECOND: String(quotas.fetchMinBytesPerSecond),
    SATCHEL_INGEST_CONCURRENCY: String(quotas.ingestConcurrency),
    SATCHEL_INGEST_TENANT_CONCURRENCY: String(quotas.ingestTenantConcurrency),
  };
}

/**
 * The keys of the bucket a surface's functions work on (lambdas/kit/data-model.ts's key layout): its live
 * prefix, and for writers the prefix where its uploads are staged until confirmed.
 */
const BUCKET_PREFIXES: Record<string, { live: string; staged?: string }> = {
  sync: { live: 'sync/', staged: 'incoming/' },
  items: { live: 'items/' },
  files: { live: 'deployments/' },
};

function bucketPrefixes(handler: string, level: 'read' | 'write'): string[] {
  const prefixes = BUCKET_PREFIXES[handler.split('/')[0]];
  if (!prefixes) throw new Error(`${handler} asks for the bucket, but its surface has no key prefix in BUCKET_PREFIXES`);
  return level === 'write' && prefixes.staged ? [prefixes.live, prefixes.staged] : [prefixes.live];
}

/** Least privilege: exactly what the row's `access` names, read-only where it says read. */
function grant(ctx: FunctionContext, made: SatchelFunction, access: Access, handler: string): void {
  const { data, settings } = ctx;
  const role = made.role;
  for (const [tableId, level] of Object.entries(access.tables ?? {}) as [TableId, 'read' | 'write'][]) {
    const table = data.tables[tableId];
    if (level === 'write') table.grantReadWriteData(role);
    else table.grantReadData(role);
  }
  // objects of the function's own surface only (`<prefix>*`), never the whole bucket
  for (const prefix of access.bucket ? bucketPrefixes(handler, access.bucket) : []) {
    if (access.bucket === 'write') data.bucket.grantReadWrite(role, `${prefix}*`);
    else data.bucket.grantRead(role, `${prefix}*`);
  }
  if (access.search) data.vectors.grant(role, access.search);
  if (access.embed) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: [
          Stack.of(made).formatArn({
            service: 'bedrock',
            account: '',
            resource: 'foundation-model',
            resourceName: BEDROCK_EMBEDDING_MODEL,
          }),
        ],
      }),
    );
  }
  if ((access.sandbox || access.launcher) && settings.sandboxLauncher) data.sandbox.grantLaunch(role);
}
