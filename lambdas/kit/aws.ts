import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// Imported, not required: esbuild tree-shakes it out of functions that never call s3Client() and keeps
// only the commands a function uses (a require() kept all of client-s3 and evaluated it at init).
import { S3Client } from '@aws-sdk/client-s3';
import { config } from './config';

/** One client of each kind per process; locally they point at DynamoDB Local and the S3 emulator. */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;

const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function documentClient(): DynamoDBDocumentClient {
  if (!dynamo) {
    const endpoint = config.dynamoEndpoint;
    const base = new DynamoDBClient({
      region: config.region,
      ...(endpoint ? { endpoint, credentials: localCredentials } : {}),
    });
    dynamo = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  }
  return dynamo;
}

/** S3 client; checksums only when an operation requires them, which presigning and the emulator need. */
export function s3Client(): S3Client {
  if (!s3) {
    const endpoint = config.s3Endpoint;
    s3 = new S3Client({
      region: config.region,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(endpoint ? { endpoint, forcePathStyle: true, credentials: localCredentials } : {}),
    });
  }
  return s3;
}

/** Closes the clients' sockets (tests, CLI commands): the next call creates fresh clients. */
export function closeClients(): void {
  dynamo?.destroy();
  s3?.destroy();
  dynamo = undefined;
  s3 = undefined;
}
