import { BUCKET_ENV_VAR, tableEnvVar, type TableId } from '../../lib/data-model';

/** Every environment variable Satchel reads is read here. Values are looked up lazily, so a
 * function only needs the variables of what it touches, and a missing one fails loudly. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
}

function optional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export const config = {
  tableName: (id: TableId): string => required(tableEnvVar(id)),
  get bucketName(): string {
    return required(BUCKET_ENV_VAR);
  },
  get region(): string {
    return optional('AWS_REGION') ?? 'us-east-1';
  },
  /** Local twins: DynamoDB Local and the S3 emulator. Unset in AWS. */
  get dynamoEndpoint(): string | undefined {
    return optional('SATCHEL_DYNAMODB_ENDPOINT');
  },
  get s3Endpoint(): string | undefined {
    return optional('SATCHEL_S3_ENDPOINT');
  },
  /** Public base URL of presigned S3 URLs when it differs from the endpoint the functions use. */
  get s3PublicEndpoint(): string | undefined {
    return optional('SATCHEL_S3_PUBLIC_ENDPOINT');
  },
  /** Maximum request body, bytes (API Gateway allows 10 MB; we refuse earlier with a clear 413). */
  get maxBodyBytes(): number {
    return Number(optional('SATCHEL_MAX_BODY_BYTES') ?? 1024 * 1024);
  },
  /** Lifetime of presigned URLs, seconds (at most 15 minutes). */
  get presignTtlSeconds(): number {
    return Math.min(Number(optional('SATCHEL_PRESIGN_TTL_SECONDS') ?? 900), 900);
  },
};
