import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { BUCKET_ENV_VAR, TABLES, tableEnvVar, type TableDef } from '../lambdas/kit/data-model';
import { LOCAL_POWERTOOLS_ENV } from './powertools-env';

/** Physical names of the local tables and bucket. */
export const localTableName = (def: TableDef): string => `satchel-${def.id}`;
export const LOCAL_BUCKET = 'satchel-local';

/**
 * The CreateTable request of a table definition; the CDK builds the same table from the same
 * definition, less the stream: nothing reads streams locally (the local runtime does the stream
 * consumers' work in-process and sweeps expired items on an interval), and DynamoDB Local makes
 * every write to a table with both a stream and a global index ~3.5× as expensive (measured:
 * a 100-item transaction 117–132 ms of CPU instead of 32–41 ms).
 */
export function createTableInput(def: TableDef, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const add = (a: { name: string; type: 'S' | 'N' } | undefined) =>
    a && attributes.set(a.name, { AttributeName: a.name, AttributeType: a.type });
  add(def.partitionKey);
  add(def.sortKey);
  for (const g of def.globalIndexes) {
    add(g.partitionKey);
    add(g.sortKey);
  }
  const keySchema = (p: { name: string }, s?: { name: string }) => [
    { AttributeName: p.name, KeyType: 'HASH' as const },
    ...(s ? [{ AttributeName: s.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    ...(def.globalIndexes.length
      ? {
          GlobalSecondaryIndexes: def.globalIndexes.map((g) => ({
            IndexName: g.name,
            KeySchema: keySchema(g.partitionKey, g.sortKey),
            Projection: g.include
              ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: g.include }
              : { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

/** Creates every table that does not exist yet (idempotent: a restart keeps its data). */
export async function ensureTables(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    for (const def of Object.values(TABLES)) {
      const TableName = localTableName(def);
      const exists = await client.send(new DescribeTableCommand({ TableName })).then(
        () => true,
        (e: Error) => (e.name === 'ResourceNotFoundException' ? false : Promise.reject(e)),
      );
      if (exists) continue;
      await client.send(new CreateTableCommand(createTableInput(def, TableName)));
      if (def.ttlAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: def.ttlAttribute } }),
        );
      }
    }
  } finally {
    client.destroy();
  }
}

/** The environment the handlers read (lambdas/kit/config.ts), pointed at the local twins. */
export function localEnvironment(endpoints: { dynamo: string; s3: string }): Record<string, string> {
  const env: Record<string, string> = {
    SATCHEL_DYNAMODB_ENDPOINT: endpoints.dynamo,
    SATCHEL_S3_ENDPOINT: endpoints.s3,
    [BUCKET_ENV_VAR]: LOCAL_BUCKET,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    ...LOCAL_POWERTOOLS_ENV,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? LOCAL_POWERTOOLS_ENV.POWERTOOLS_LOG_LEVEL,
  };
  for (const def of Object.values(TABLES)) env[tableEnvVar(def.id)] = localTableName(def);
  return env;
}
