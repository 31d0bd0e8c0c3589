import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

/** The scopes of seed 003 whose lifetime a deployment may change (see `scopeTtlSeconds` in lambdas/kit/config.ts). */
export const ITEM_SCOPES = ['agent', 'session', 'company', 'temporary'] as const;
export type ItemScope = (typeof ITEM_SCOPES)[number];

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
  /** Per-scope item lifetime overrides, seconds (0 = permanent); absent = the kit's default. */
  scopeTtlSeconds: Partial<Record<ItemScope, number>>;
  /** Name of the OpenSearch domain or collection (unique per account and region). */
  vectorStoreName: string;
  openSearchInstanceType: string;
  /** Days of CloudWatch Logs retention for functions, the API access log and VPC flow logs. */
  logRetentionDays: number;
}

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
    throw new Error(`Context vectorStoreName must be 3-27 lowercase letters, digits or hyphens, starting with a letter, not ${vectorStoreName}`);
  }
  const logRetentionDays = nonNegativeInteger(node, 'logRetentionDays') ?? 30;
  if (!Object.values(RetentionDays).includes(logRetentionDays)) {
    throw new Error(`Context logRetentionDays must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …), not ${logRetentionDays}`);
  }
  return {
    vectorBackend: backend,
    embeddingDimension: dimension as Settings['embeddingDimension'],
    sandboxLauncher: flag(node, 'sandboxLauncher'),
    sandboxImage: text(node, 'sandboxImage') ?? 'public.ecr.aws/docker/library/node:22-slim',
    scopeTtlSeconds,
    vectorStoreName,
    openSearchInstanceType: text(node, 'openSearchInstanceType') ?? 't3.small.search',
    logRetentionDays,
  };
}
