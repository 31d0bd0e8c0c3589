import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEFAULT_SCOPE_TTL_SECONDS, ITEM_SCOPES, type ItemScope } from '../lambdas/kit/data-model';

/** Every CDK context option the app reads (`-c key=value` or cdk.json `context`), parsed once. */
export interface Settings {
  /** `domain` (OpenSearch managed domain, default) or `serverless` (OpenSearch Serverless vector collection). */
  vectorBackend: 'domain' | 'serverless';
  /** Titan Text Embeddings V2 output size: 256, 512 or 1024. */
  embeddingDimension: 256 | 512 | 1024;
  /** Start a Fargate task for each new deployment (off: deployments only get an EFS folder). */
  sandboxLauncher: boolean;
  /** Container image of the sandbox task; must be pullable from isolated subnets (a private ECR repository). */
  sandboxImage: string;
  /** Private ECR repository (name, this account and region) of the sandbox image; required with the launcher. */
  sandboxImageRepository?: string;
  sandboxImageTag: string;
  /** Per-tenant quotas and background-fetch bounds (docs/api.md, Quotas), as the functions' environment. */
  quotas: {
    maxRunningSandboxesPerTenant: number;
    maxPendingFetchesPerTenant: number;
    maxMultipartUploadsPerCall: number;
    fetchMinBytesPerSecond: number;
    ingestConcurrency: number;
    ingestTenantConcurrency: number;
  };
  /** Per-scope item lifetime overrides, seconds (0 = permanent); absent = the kit's default. */
  scopeTtlSeconds: Partial<Record<ItemScope, number>>;
  /** Name of the OpenSearch domain or collection (unique per account and region). */
  vectorStoreName: string;
  openSearchInstanceType: string;
  /** Days of CloudWatch Logs retention for functions, the API access log and VPC flow logs. */
  logRetentionDays: number;
  /** Stage throttling: steady requests per second and burst, across all routes and callers. */
  apiRateLimit: number;
  apiBurstLimit: number;
  /** Origins browsers may call the API and the presigned S3 URLs from (`*` = any). */
  corsOrigins: string[];
  /** Days the bucket keeps replaced or deleted bytes (noncurrent versions). */
  noncurrentVersionDays: number;
  /** Node resolves stack traces through the bundles' source maps (`--enable-source-maps`): readable traces, slower cold starts. */
  sourceMapStackTraces: boolean;
}

/** A scope's lifetime as the functions apply it: the deployment's setting, else the kit's default. */
export const effectiveScopeTtlSeconds = (settings: Pick<Settings, 'scopeTtlSeconds'>): Record<ItemScope, number> =>
  Object.fromEntries(ITEM_SCOPES.map((scope) => [scope, settings.scopeTtlSeconds[scope] ?? DEFAULT_SCOPE_TTL_SECONDS[scope]])) as Record<
    ItemScope,
    number
  >;

const DIMENSIONS = [256, 512, 1024] as const;

function text(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

function flag(node: Node, key: string): boolean {
  const value = text(node, key);
  if (value === undefined) return false;
  if (value !== 'true' && value !== 'false') throw new Error(`Context ${key} must be true or false, not ${value}`);
  return value === 'true';
}

function nonNegativeInteger(node: Node, key: string): number | undefined {
  const value = text(node, key);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`Context ${key} must be a whole number ≥ 0, not ${value}`);
  return parsed;
}

export const ttlContextKey = (scope: ItemScope): string => `ttl${scope.charAt(0).toUpperCase()}${scope.slice(1)}Seconds`;

export function readSettings(node: Node): Settings {
  const backend = text(node, 'vectorBackend') ?? 'domain';
  if (backend !== 'domain' && backend !== 'serverless') {
    throw new Error(`Context vectorBackend must be domain or serverless, not ${backend}`);
  }
  const dimension = Number(text(node, 'embeddingDimension') ?? 1024);
  if (!DIMENSIONS.includes(dimension as (typeof DIMENSIONS)[number])) {
    throw new Error(`Context embeddingDimension must be one of ${DIMENSIONS.join(', ')}, not ${dimension}`);
  }
  const scopeTtlSeconds: Settings['scopeTtlSeconds'] = {};
  for (const scope of ITEM_SCOPES) {
    const seconds = nonNegativeInteger(node, ttlContextKey(scope));
    if (seconds !== undefined) scopeTtlSeconds[scope] = seconds;
  }
  const vectorStoreName = text(node, 'vectorStoreName') ?? 'satchel-vectors';
  // Domain names allow 28 characters, serverless policy names 32 including our `-data` suffix.
  if (!/^[a-z][a-z0-9-]{2,26}$/.test(vectorStoreName)) {
    throw new Error(
      `Context vectorStoreName must be 3-27 lowercase letters, digits or hyphens, starting with a letter, not ${vectorStoreName}`,
    );
  }
  const logRetentionDays = nonNegativeInteger(node, 'logRetentionDays') ?? 30;
  if (!Object.values(RetentionDays).includes(logRetentionDays)) {
    throw new Error(
      `Context logRetentionDays must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …), not ${logRetentionDays}`,
    );
  }
  const apiRateLimit = nonNegativeInteger(node, 'apiRateLimit') ?? 50;
  const apiBurstLimit = nonNegativeInteger(node, 'apiBurstLimit') ?? 100;
  if (apiRateLimit < 1 || apiBurstLimit < 1) throw new Error('Context apiRateLimit and apiBurstLimit must be at least 1');
  const corsOrigins = (text(node, 'corsOrigins') ?? '*')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s*]+$/.test(origin)) {
      throw new Error(`Context corsOrigins must be * or comma-separated origins like https://app.example.com, not ${origin}`);
    }
  }
  const noncurrentVersionDays = nonNegativeInteger(node, 'noncurrentVersionDays') ?? 1;
  if (noncurrentVersionDays < 1) throw new Error('Context noncurrentVersionDays must be at least 1 (S3 counts whole days)');
  const positive = (key: string, fallback: number) => {
    const value = nonNegativeInteger(node, key) ?? fallback;
    if (value < 1) throw new Error(`Context ${key} must be at least 1`);
    return value;
  };
  const quotas: Settings['quotas'] = {
    maxRunningSandboxesPerTenant: positive('maxRunningSandboxesPerTenant', 10),
    maxPendingFetchesPerTenant: positive('maxPendingFetchesPerTenant', 20),
    maxMultipartUploadsPerCall: positive('maxMultipartUploadsPerCall', 10),
    fetchMinBytesPerSecond: nonNegativeInteger(node, 'fetchMinBytesPerSecond') ?? 16 * 1024,
    ingestConcurrency: positive('ingestConcurrency', 16),
    ingestTenantConcurrency: positive('ingestTenantConcurrency', 4),
  };
  return {
    quotas,
    sandboxImageRepository: text(node, 'sandboxImageRepository'),
    sandboxImageTag: text(node, 'sandboxImageTag') ?? 'latest',
    vectorBackend: backend,
    embeddingDimension: dimension as Settings['embeddingDimension'],
    sandboxLauncher: flag(node, 'sandboxLauncher'),
    sandboxImage: text(node, 'sandboxImage') ?? 'public.ecr.aws/docker/library/node:22-slim',
    scopeTtlSeconds,
    vectorStoreName,
    openSearchInstanceType: text(node, 'openSearchInstanceType') ?? 't3.small.search',
    logRetentionDays,
    apiRateLimit,
    apiBurstLimit,
    corsOrigins,
    noncurrentVersionDays,
    sourceMapStackTraces: flag(node, 'sourceMapStackTraces'),
  };
}
