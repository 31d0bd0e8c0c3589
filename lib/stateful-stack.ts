import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { acknowledge } from './nag';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { BUCKET, lifecycleRules, TABLES, type KeyAttribute, type TableDef, type TableId } from '../lambdas/kit/data-model';
import { BUCKET_NAME_OUTPUT, tableOutput, VECTOR_ENDPOINT_OUTPUT } from './outputs';
import { searchClients, type FunctionTables } from './functions';
import { effectiveScopeTtlSeconds, type Settings } from './settings';
import { SandboxStorage } from './constructs/sandbox-storage';
import { VectorSearch } from './constructs/vector-search';

export interface SatchelDataStackProps extends StackProps {
  settings: Settings;
  functionTables: FunctionTables;
  /** Where handler modules live (tests use stubs when bundling is skipped). */
  lambdasRoot?: string;
}

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

const days = (count: number | undefined): Duration | undefined => (count === undefined ? undefined : Duration.days(count));

/**
 * Everything that holds data: tables, the bucket, the vector index and the sandbox file system.
 * All retained on stack deletion, so the API stack can be replaced or destroyed freely.
 */
export class SatchelDataStack extends Stack {
  readonly tables: Record<TableId, dynamodb.Table>;
  readonly bucket: s3.Bucket;
  readonly vectors: VectorSearch;
  readonly sandbox: SandboxStorage;

  constructor(scope: Construct, id: string, props: SatchelDataStackProps) {
    super(scope, id, props);
    this.tables = Object.fromEntries(Object.values(TABLES).map((def) => [def.id, this.table(def)])) as Record<TableId, dynamodb.Table>;
    this.bucket = this.dataBucket(props.settings);
    this.vectors = new VectorSearch(this, 'VectorSearch', {
      settings: props.settings,
      clients: searchClients(props.functionTables),
      lambdasRoot: props.lambdasRoot,
    });
    this.sandbox = new SandboxStorage(this, 'Sandbox', { settings: props.settings });

    for (const [tableId, table] of Object.entries(this.tables)) {
      new CfnOutput(this, tableOutput(tableId as TableId), { value: table.tableName });
    }
    new CfnOutput(this, BUCKET_NAME_OUTPUT, { value: this.bucket.bucketName });
    new CfnOutput(this, VECTOR_ENDPOINT_OUTPUT, { value: this.vectors.endpoint });
  }

  private table(def: TableDef): dynamodb.Table {
    const table = new dynamodb.Table(this, `${def.id.charAt(0).toUpperCase()}${def.id.slice(1)}Table`, {
      partitionKey: attribute(def.partitionKey),
      sortKey: def.sortKey && attribute(def.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: def.ttlAttribute,
      stream: def.stream && dynamodb.StreamViewType[def.stream],
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    for (const index of def.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey && attribute(index.sortKey),
        projectionType: index.include ? dynamodb.ProjectionType.INCLUDE : dynamodb.ProjectionType.ALL,
        nonKeyAttributes: index.include,
      });
    }
    return table;
  }

  private dataBucket(settings: Settings): s3.Bucket {
    const rules = lifecycleRules({
      scopeTtlSeconds: effectiveScopeTtlSeconds(settings),
      noncurrentVersionDays: settings.noncurrentVersionDays,
    });
    const bucket = new s3.Bucket(this, 'DataBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: BUCKET.versioned,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: rules.map((rule) => ({
        id: rule.id,
        prefix: rule.prefix,
        tagFilters: rule.tag ? { [rule.tag.key]: rule.tag.value } : undefined,
        expiration: days(rule.expirationDays),
        abortIncompleteMultipartUploadAfter: days(rule.abortIncompleteMultipartUploadDays),
        noncurrentVersionExpiration: days(rule.noncurrentVersionExpirationDays),
        expiredObjectDeleteMarker: rule.expiredObjectDeleteMarker,
      })),
      // Browser clients PUT and GET presigned URLs directly; multipart uploads read each part's ETag.
      cors: [
        {
          allowedOrigins: settings.corsOrigins,
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.PUT, s3.HttpMethods.HEAD],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag', 'x-amz-version-id', 'x-amz-checksum-sha256', 'x-amz-checksum-crc64nvme'],
          maxAge: 3600,
        },
      ],
    });
    acknowledge(
      bucket,
      'AwsSolutions-S1',
      'Clients only reach objects through short-lived presigned URLs minted by the API, whose ' +
        'requests are logged per call (API access log + function logs); server access logs would need a ' +
        'second bucket that is itself unlogged. Enable CloudTrail S3 data events if object-level audit is required.',
    );
    return bucket;
  }
}
