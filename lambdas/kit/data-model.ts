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
    // new image: the stream consumer's filter sees pending fileUrl items; old image: what TTL removed
    stream: 'NEW_AND_OLD_IMAGES',
    globalIndexes: [
      /** Sparse: scoped items that expire, by expiry, in 16 shards; the sweeper queries `expiresAt < now`. */
      {
        name: 'itemsByExpiry',
        partitionKey: { name: 'expiryShard', type: 'S' },
        sortKey: { name: 'expiresAt', type: 'N' },
        include: ['itemId', 'blobKey'],
      },
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

/** The scopes of seed 003 whose lifetime a deployment may change. */
export const ITEM_SCOPES = ['agent', 'session', 'company', 'temporary'] as const;
export type ItemScope = (typeof ITEM_SCOPES)[number];

/** Lifetime of a scoped item when the deployment does not set one, seconds (0 = permanent). */
export const DEFAULT_SCOPE_TTL_SECONDS: Record<ItemScope, number> = { agent: 7 * 86400, session: 86400, company: 0, temporary: 600 };

const DAY_SECONDS = 86400;

/**
 * Every family of keys the code writes into the bucket, and how long its bytes must stay.
 * `live`: a manifest entry may name the key for as long as the entry exists (never expired by age);
 * `item`: bytes of a scoped item, which lives as long as its scope's TTL from its last write;
 * `staged`: an upload that no entry names until a confirm copies it elsewhere.
 */
export type KeyLifetime = { kind: 'live' } | { kind: 'item'; scope: ItemScope } | { kind: 'staged' };

/** An object tag and its value. */
export interface ObjectTag {
  key: string;
  value: string;
}

/**
 * The tag of a workspace upload that no manifest entry names yet: a put presigned with hash and size
 * is created with it (signed `x-amz-tagging`), a multipart upload gets it when it starts (and again
 * when it is completed); the confirm removes it before an entry names the key.
 */
export const UNCONFIRMED_UPLOAD_TAG: ObjectTag = { key: 'satchel-upload', value: 'unconfirmed' };

export interface KeyFamily {
  prefix: string;
  lifetime: KeyLifetime;
  /** Where the keys are made. */
  writer: string;
  /**
   * A tag that objects of this family carry only while no entry names them: an expiry filtered on
   * it removes uploads never confirmed and never a live object.
   */
  unreferencedTag?: ObjectTag;
}

export const KEY_FAMILIES: KeyFamily[] = [
  {
    prefix: 'sync/',
    lifetime: { kind: 'live' },
    writer: 'lambdas/sync (workspace files and saved sessions)',
    unreferencedTag: UNCONFIRMED_UPLOAD_TAG,
  },
  { prefix: 'deployments/', lifetime: { kind: 'live' }, writer: 'lambdas/shared/file-names.ts objectKeyOf' },
  ...ITEM_SCOPES.map(
    (scope): KeyFamily => ({
      prefix: `items/${scope}/`,
      lifetime: { kind: 'item', scope },
      writer: 'lambdas/items/service/blobs.ts newBlobKey',
    }),
  ),
  { prefix: 'incoming/', lifetime: { kind: 'staged' }, writer: 'lambdas/sync (uploads presigned without a hash, until confirmed)' },
  {
    prefix: 'items/uploads/',
    lifetime: { kind: 'staged' },
    writer: 'lambdas/items/service/uploads.ts stagingKey (large files, until added as an item)',
  },
];

/** Lifecycle rule id of a staged family (the first keeps the id deployed stacks already have). */
const stagedRuleId = (prefix: string): string =>
  prefix === 'incoming/' ? 'unconfirmed-uploads' : `unconfirmed-${prefix.replace(/\W+/g, '-').replace(/-$/, '')}`;

export interface LifecycleRuleDef {
  id: string;
  prefix?: string;
  /** Only objects carrying this tag. */
  tag?: ObjectTag;
  expirationDays?: number;
  abortIncompleteMultipartUploadDays?: number;
  noncurrentVersionExpirationDays?: number;
  expiredObjectDeleteMarker?: boolean;
}

export interface BucketLifetimes {
  /** Lifetime of each scope's items, seconds; 0 = permanent. */
  scopeTtlSeconds: Record<ItemScope, number>;
  /** Days S3 keeps replaced or deleted bytes (noncurrent versions) before removing them. */
  noncurrentVersionDays: number;
}

/**
 * Days after which S3 may expire an item's bytes: S3 counts from the object's creation and rounds up
 * to the next midnight UTC, so it never fires before `days`; the extra day covers the time between
 * writing the bytes and the entry whose TTL counts from it. Undefined: permanent, no rule.
 */
export const itemExpirationDays = (ttlSeconds: number): number | undefined =>
  ttlSeconds > 0 ? Math.ceil(ttlSeconds / DAY_SECONDS) + 1 : undefined;

/**
 * The bucket's lifecycle rules, derived from the lifetimes the deployment sets. Reads enforce the
 * exact TTL; these rules are the backstop behind the sweeper and never expire a `live` key.
 */
export function lifecycleRules(lifetimes: BucketLifetimes): LifecycleRuleDef[] {
  const itemRules = KEY_FAMILIES.flatMap((family): LifecycleRuleDef[] => {
    if (family.lifetime.kind !== 'item') return [];
    const days = itemExpirationDays(lifetimes.scopeTtlSeconds[family.lifetime.scope]);
    return days === undefined ? [] : [{ id: `items-${family.lifetime.scope}`, prefix: family.prefix, expirationDays: days }];
  });
  return [
    ...itemRules,
    ...unconfirmedUploadRules(),
    { id: 'abort-multipart', abortIncompleteMultipartUploadDays: 1 },
    // Versioning turns deletes and expiries into delete markers; the bytes behind them go after this many days.
    { id: 'noncurrent-versions', noncurrentVersionExpirationDays: lifetimes.noncurrentVersionDays },
    // A delete marker whose versions are all gone hides nothing: remove it.
    { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
  ];
}

/**
 * Expiry of uploads no confirm ever made live: staged families by prefix, and objects of live
 * families that still carry their unreferenced tag. The local runtime applies the same rules.
 */
export function unconfirmedUploadRules(): LifecycleRuleDef[] {
  const staged = KEY_FAMILIES.filter((f) => f.lifetime.kind === 'staged').map(
    (f): LifecycleRuleDef => ({ id: stagedRuleId(f.prefix), prefix: f.prefix, expirationDays: 1 }),
  );
  const tagged = KEY_FAMILIES.filter((f) => f.unreferencedTag).map(
    (f): LifecycleRuleDef => ({
      id: `unconfirmed-${f.prefix.replace(/\W+/g, '')}-uploads`,
      prefix: f.prefix,
      tag: f.unreferencedTag,
      expirationDays: 1,
    }),
  );
  return [...staged, ...tagged];
}

/** Key layout: `<surface>/…/<tenant>/…`; item scopes come before the tenant so lifecycle prefixes can name them. */
export const BUCKET = { id: 'data', versioned: true } as const;

/** Environment variable that carries a table's physical name into a function. */
export const tableEnvVar = (id: TableId): string => `TABLE_${id.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
export const BUCKET_ENV_VAR = 'BUCKET_NAME';
