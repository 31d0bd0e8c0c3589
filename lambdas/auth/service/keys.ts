import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { agentIdProblem } from '../../kit/auth-context';
import { itemsOf, pages } from '../../kit/paging';
import { SURFACES, type Surface } from '../../contracts/surfaces';

/** `sk-` and at least 32 URL-safe characters; generated keys carry 32 random bytes (43 characters). */
export const KEY_FORMAT = /^sk-[A-Za-z0-9_-]{32,256}$/;

export interface ApiKeyRecord {
  keyId: string;
  tenant: string;
  agent?: string;
  surfaces: Surface[];
  createdAt: string;
  revokedAt?: string;
}

interface StoredKey extends ApiKeyRecord {
  pk: string;
}

export const generateKey = (): string => `sk-${randomBytes(32).toString('base64url')}`;
export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');
const keyIdOf = (hash: string): string => `key_${hash.slice(0, 16)}`;

const TENANT_FORMAT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function parseSurfaces(list: string | undefined): Surface[] {
  if (!list) return [...SURFACES];
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((s) => !(SURFACES as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`Unknown surface(s): ${unknown.join(', ')}. Known: ${SURFACES.join(', ')}`);
  return names as Surface[];
}

/** API keys, stored by the SHA-256 of the secret: the secret itself is never stored. */
export class KeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Creates a key (or registers a given one, e.g. SATCHEL_API_KEY); returns the secret once. */
  async create(input: {
    tenant: string;
    agent?: string;
    surfaces?: Surface[];
    key?: string;
  }): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!TENANT_FORMAT.test(input.tenant)) throw new Error(`Tenant "${input.tenant}" must be 1-64 letters, digits, '.', '_' or '-'`);
    const agentProblem = input.agent === undefined ? undefined : agentIdProblem(input.agent);
    if (agentProblem) throw new Error(`Agent "${input.agent}" ${agentProblem}`);
    const key = input.key ?? generateKey();
    if (!KEY_FORMAT.test(key)) throw new Error('An API key is "sk-" followed by at least 32 letters, digits, "-" or "_"');
    const hash = hashKey(key);
    const record: ApiKeyRecord = {
      keyId: keyIdOf(hash),
      tenant: input.tenant,
      ...(input.agent ? { agent: input.agent } : {}),
      surfaces: input.surfaces ?? [...SURFACES],
      createdAt: new Date().toISOString(),
    };
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: hash, ...record } }));
    return { key, record };
  }

  /** The key behind a secret, revoked or not; undefined when unknown. */
  async find(key: string): Promise<ApiKeyRecord | undefined> {
    if (!KEY_FORMAT.test(key)) return undefined;
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: hashKey(key) } }));
    return Item ? strip(Item as StoredKey) : undefined;
  }

  /** The active key behind a secret, or undefined when unknown or revoked. */
  async findActive(key: string): Promise<ApiKeyRecord | undefined> {
    const record = await this.find(key);
    return record?.revokedAt ? undefined : record;
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    const items: StoredKey[] = [];
    const filter = tenant ? { FilterExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': tenant } } : {};
    const scan = pages<StoredKey>((ExclusiveStartKey) =>
      this.db.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey, ...filter })),
    );
    for await (const item of itemsOf(scan)) items.push(item);
    return items.map(strip).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a key; says when it was revoked and whether it already was. undefined: no such key. */
  async revoke(keyId: string): Promise<{ revokedAt: string; already: boolean } | undefined> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byKeyId',
        KeyConditionExpression: 'keyId = :id',
        ExpressionAttributeValues: { ':id': keyId },
      }),
    );
    const hash = Items?.[0]?.pk as string | undefined;
    if (!hash) return undefined;
    const now = new Date().toISOString();
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: hash },
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ExpressionAttributeValues: { ':now': now },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = Attributes?.revokedAt as string | undefined;
    return { revokedAt: before ?? now, already: before !== undefined };
  }
}

function strip({ pk: _pk, ...record }: StoredKey): ApiKeyRecord {
  return record;
}
