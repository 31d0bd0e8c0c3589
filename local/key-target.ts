import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../lambdas/kit/data-model';
import { KeyStore } from '../lambdas/auth/service/keys';
import { config } from '../lambdas/kit/config';
import { LOCAL_AUTHORIZER_CACHE_MS } from './authorizer-cache';
import { ensureTables, localTableName } from './bootstrap';
import { startDynamo } from './dynamodb-local';
import { runningRuntimes, runtimeIn, type LocalRuntimeInfo } from './runtime-records';

/** Where the keys CLI reads and writes API keys: the local runtime's DynamoDB Local, or a deployed stack's table. */
export interface KeyTarget {
  store: KeyStore;
  /** Human-readable description, e.g. `local runtime (http://127.0.0.1:8000)`. */
  where: string;
  /** How soon a revoked key stops working there, e.g. `within 2 seconds (…)`. */
  revokedWithin: string;
  close(): Promise<void>;
}

export interface TargetOptions {
  stack?: string;
  region?: string;
}

/** The stack output holding the apiKeys table name: CDK prefixes output ids with the construct path. */
export const API_KEYS_OUTPUT_PREFIX = 'TableApiKeys';

export function apiKeysTableFromOutputs(stack: string, outputs: Output[]): string {
  const output = outputs.find((o) => o.OutputKey?.startsWith(API_KEYS_OUTPUT_PREFIX) && o.OutputValue);
  if (!output?.OutputValue) {
    const keys = outputs.map((o) => o.OutputKey).filter(Boolean);
    throw new Error(
      `Stack ${stack} has no output ${API_KEYS_OUTPUT_PREFIX}…; pass the stack that holds Satchel's tables ` +
        `(\`npx cdk list\` shows the stacks). Its outputs: ${keys.length ? keys.join(', ') : 'none'}`,
    );
  }
  return output.OutputValue;
}

const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function localTarget(endpoint: string, where: string, stop: () => Promise<void> = async () => undefined): KeyTarget {
  const client = new DynamoDBClient({ endpoint, region: config.region, credentials: localCredentials });
  const table = config.configuredTableName('apiKeys') ?? localTableName(TABLES.apiKeys);
  return {
    store: new KeyStore(DynamoDBDocumentClient.from(client), table),
    where,
    revokedWithin: `within ${LOCAL_AUTHORIZER_CACHE_MS / 1000} seconds (the local gateway's authorizer cache)`,
    close: async () => {
      client.destroy();
      await stop();
    },
  };
}

async function stackTarget(stack: string, region: string | undefined): Promise<KeyTarget> {
  const cloudFormation = new CloudFormationClient(region ? { region } : {});
  let outputs: Output[];
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    const e = error as Error;
    if (/does not exist/.test(e.message)) {
      throw new Error(
        `No stack ${stack} in ${region ?? 'the default region'}: check --stack and --region (\`npx cdk list\` shows the stack names), or deploy with \`npx cdk deploy --all\``,
      );
    }
    if (e.name === 'CredentialsProviderError' || /credential/i.test(e.message)) {
      throw new Error(
        `No AWS credentials: configure them (\`aws configure\`, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), then run this again`,
      );
    }
    throw new Error(`Cannot read stack ${stack}: ${e.message}`);
  } finally {
    cloudFormation.destroy();
  }
  const table = apiKeysTableFromOutputs(stack, outputs);
  const client = new DynamoDBClient(region ? { region } : {});
  return {
    store: new KeyStore(DynamoDBDocumentClient.from(client), table),
    where: `stack ${stack} (table ${table})`,
    revokedWithin: 'within the authorizer cache TTL of the deployed API',
    close: async () => client.destroy(),
  };
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

const HOW_TO_POINT =
  'start it with `npm start` in the Satchel checkout, or point to its state folder with SATCHEL_HOME=/path/to/.satchel ' +
  '(to a deployed stack: --stack <name> --region <region>)';

/** The running local runtime: in SATCHEL_HOME when set, else the one at SATCHEL_URL, else the only one running. */
function findRuntime(): LocalRuntimeInfo | undefined {
  if (process.env.SATCHEL_HOME) return runtimeIn(resolve(process.env.SATCHEL_HOME));
  const running = runningRuntimes();
  const url = process.env.SATCHEL_URL;
  if (url) {
    const match = running.find((r) => sameUrl(r.url, url));
    if (match) return match;
    if (running.length)
      throw new Error(`No local Satchel runs at SATCHEL_URL ${url}; running: ${running.map((r) => `${r.url} (${r.home})`).join(', ')}`);
    return undefined;
  }
  if (running.length > 1) {
    throw new Error(
      `${running.length} local Satchels are running: ${running.map((r) => `${r.url} (${r.home})`).join(', ')}. Pick one with SATCHEL_URL or SATCHEL_HOME`,
    );
  }
  return running[0] ?? runtimeIn(resolve('.satchel'));
}

/**
 * Picks the key table: `--stack` → the deployed stack; else SATCHEL_DYNAMODB_ENDPOINT; else the
 * running local runtime, found from any folder; else, when SATCHEL_HOME names a state folder (or
 * ./.satchel holds one), DynamoDB Local started on it for this command. It never creates a state
 * folder nobody asked for.
 */
export async function openKeyTarget(options: TargetOptions, notice: (line: string) => void): Promise<KeyTarget> {
  if (options.stack) return stackTarget(options.stack, options.region);
  const explicit = config.dynamoEndpoint;
  if (explicit) return localTarget(explicit, `DynamoDB at ${explicit}`);
  const runtime = findRuntime();
  if (runtime) return localTarget(runtime.dynamoEndpoint, `local runtime at ${runtime.url}`);

  const home = resolve(process.env.SATCHEL_HOME ?? '.satchel');
  if (!process.env.SATCHEL_HOME && !existsSync(join(home, 'dynamodb'))) throw new Error(`Satchel is not running here: ${HOW_TO_POINT}`);
  notice(`Satchel is not running: starting DynamoDB Local on ${join(home, 'dynamodb')} for this command`);
  const dynamo = await startDynamo({ dbPath: join(home, 'dynamodb') });
  try {
    await ensureTables(dynamo.endpoint);
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  return localTarget(dynamo.endpoint, `local state in ${home}`, dynamo.stop);
}
