/**
 * The one definition of every table and of the bucket. Plain data, no CDK import:
 * `lib/stateful-stack.ts` turns it into CloudFormation, `local/bootstrap.ts` into
 * CreateTable calls against DynamoDB Local and buckets of the local S3 emulator.
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

export interface GlobalIndexDef {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** Attributes projected besides the keys; `ALL` when omitted. */
  include?: string[];
}

export interface TableDef {
  /** Logical name: CDK construct id, env var suffix, local table name. */
  id: TableId;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** Epoch-seconds attribute DynamoDB TTL deletes by (reads enforce expiry exactly). */
  ttlAttribute?: string;
  /** Stream view, where a consumer reacts to changes (e.g. expiry clean-up). */
  stream?: 'NEW_AND_OLD_IMAGES' | 'OLD_IMAGE' | 'NEW_IMAGE' | 'KEYS_ONLY';
  globalIndexes: GlobalIndexDef[];
}

export type TableId = 'manifests' | 'syncRecords' | 'workspaces' | 'sessions' | 'apiKeys' | 'deployments';

const pk: KeyAttribute = { name: 'pk', type: 'S' };
const sk: KeyAttribute = { name: 'sk', type: 'S' };

export const TABLES: Record<TableId, TableDef> = {
  /** File entries of every namespace: agent workspaces, scoped items, deployment files. */
  manifests: {
    id: 'manifests',
    partitionKey: pk,
    sortKey: sk,
    ttlAttribute: 'expiresAt',
    stream: 'OLD_IMAGE',
    globalIndexes: [
      /** Sparse: scoped items that expire, by expiry, in 16 shards; the sweeper queries `expiresAt < now`. */
      { name: 'itemsByExpiry', partitionKey: { name: 'expiryShard', type: 'S' }, sortKey: { name: 'expiresAt', type: 'N' }, include: ['itemId', 'blobKey'] },
    ],
  },
  /** Memory records (current state and change log) of seed 001. */
  syncRecords: { id: 'syncRecords', partitionKey: pk, sortKey: sk, globalIndexes: [] },
  /** Workspace registry of seed 002: workspaces, their uniqueness guards, agents, skills, providers. */
  workspaces: { id: 'workspaces', partitionKey: pk, sortKey: sk, globalIndexes: [] },
  /** Sessions of registered workspaces. */
  sessions: { id: 'sessions', partitionKey: pk, sortKey: sk, globalIndexes: [] },
  /** Hashed API keys; `byKeyId` finds a key by its public id (revoke, list). */
  apiKeys: {
    id: 'apiKeys',
    partitionKey: pk,
    globalIndexes: [{ name: 'byKeyId', partitionKey: { name: 'keyId', type: 'S' } }],
  },
  /** Deployments (sandboxes) of seed 004. */
  deployments: { id: 'deployments', partitionKey: pk, sortKey: sk, globalIndexes: [] },
};

export interface LifecycleRuleDef {
  id: string;
  prefix?: string;
  expirationDays?: number;
  abortIncompleteMultipartUploadDays?: number;
  noncurrentVersionExpirationDays?: number;
}

/** Key layout: `<surface>/…/<tenant>/…`; item scopes come before the tenant so lifecycle prefixes can name them. */
export const BUCKET = {
  id: 'data',
  versioned: true,
  lifecycleRules: [
    { id: 'items-agent', prefix: 'items/agent/', expirationDays: 7 },
    { id: 'items-session', prefix: 'items/session/', expirationDays: 1 },
    { id: 'items-temporary', prefix: 'items/temporary/', expirationDays: 1 },
    { id: 'unconfirmed-uploads', prefix: 'incoming/', expirationDays: 1 },
    { id: 'abort-multipart', abortIncompleteMultipartUploadDays: 1 },
    { id: 'noncurrent-versions', noncurrentVersionExpirationDays: 30 },
  ] satisfies LifecycleRuleDef[],
} as const;

/** Environment variable that carries a table's physical name into a function. */
export const tableEnvVar = (id: TableId): string => `TABLE_${id.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
export const BUCKET_ENV_VAR = 'BUCKET_NAME';
