import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';
import { isConditionFailure } from '../../kit/errors';
import { itemsOf, queryAll, scanPages } from '../../kit/paging';

/**
 * Every DynamoDB read and write of the files surface. Key layouts:
 *
 * Deployments, in the `deployments` table, one item per deployment:
 *   pk `T#<tenant>`, sk `DEP#<deploymentId>`
 * (the tenant's sandbox slots share the table through kit/slots).
 *
 * The file list of a deployment (seed 004), in the `manifests` table:
 *   pk `T#<tenant>#DEP#<deploymentId>`, sk `F#<fileName>`   the file record
 *   pk `T#<tenant>#FILE#<fileId>`,       sk `FILE`           pointer: file id -> deployment + name
 * The id is a hash of tenant, deployment and name, so recording the same file twice is one record.
 */

export type DeploymentStatus = 'provisioning' | 'running' | 'stopped' | 'terminated';

export interface DeploymentItem {
  pk: string;
  sk: string;
  id: string;
  name: string;
  status: DeploymentStatus;
  /** The agent of the agent-bound key that created it; such keys see only their agent's deployments. */
  agent?: string;
  expiresAt: string;
  stoppedAt?: string;
  taskArn?: string;
  /** The sandbox's EFS access point (ECS launcher); deleted when it stops, again (idempotently) when it terminates. */
  accessPointId?: string;
  createdAt: string;
  updatedAt: string;
}

export interface FileRecord {
  _id: string;
  /** The same as `_id`: seed 004 names it `_id` in lists and `id` in the record answer. */
  id: string;
  deploymentId: string;
  /** Who recorded it: the agent of an agent-bound key, else the API key's id. */
  userId: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
  storagePath: string;
  status: 'ready';
  createdAt: string;
  updatedAt: string;
}

// --- deployments ---

export const deploymentsTable = () => config.tableName('deployments');
const tenantKey = (tenant: string) => `T#${tenant}`;
export const deploymentKey = (tenant: string, id: string) => ({ pk: tenantKey(tenant), sk: `DEP#${id}` });
/** The tenant a deployment item belongs to, read from its key. */
export const tenantOfDeployment = (item: Pick<DeploymentItem, 'pk'>) => item.pk.slice(2);

export async function getDeploymentItem(tenant: string, id: string): Promise<DeploymentItem | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: deploymentsTable(), Key: deploymentKey(tenant, id) }));
  return Item as DeploymentItem | undefined;
}

/** Writes a new deployment; fails if one with that key exists. */
export async function putDeploymentItem(item: DeploymentItem): Promise<void> {
  await documentClient().send(
    new PutCommand({ TableName: deploymentsTable(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
  );
}

export async function deleteDeploymentItem(tenant: string, id: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: deploymentsTable(), Key: deploymentKey(tenant, id) }));
}

export async function queryDeployments(tenant: string): Promise<DeploymentItem[]> {
  return queryAll<DeploymentItem>({
    TableName: deploymentsTable(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dep)',
    ExpressionAttributeValues: { ':pk': tenantKey(tenant), ':dep': 'DEP#' },
  });
}

/** Marks a started sandbox running, with the task and access point it got (if any). */
export async function markDeploymentRunning(
  tenant: string,
  id: string,
  now: string,
  started: { taskArn?: string; accessPointId?: string },
): Promise<void> {
  const { taskArn, accessPointId } = started;
  await documentClient().send(
    new UpdateCommand({
      TableName: deploymentsTable(),
      Key: deploymentKey(tenant, id),
      UpdateExpression: `SET #s = :running, updatedAt = :now${taskArn ? ', taskArn = :task' : ''}${accessPointId ? ', accessPointId = :ap' : ''}`,
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':now': now,
        ...(taskArn ? { ':task': taskArn } : {}),
        ...(accessPointId ? { ':ap': accessPointId } : {}),
      },
    }),
  );
}

/** Live -> stopped. False when it was no longer live (someone else stopped it first). */
export async function markDeploymentStopped(tenant: string, id: string, stoppedAt: string, now: string): Promise<boolean> {
  return conditional(
    new UpdateCommand({
      TableName: deploymentsTable(),
      Key: deploymentKey(tenant, id),
      UpdateExpression: 'SET #s = :stopped, stoppedAt = :at, updatedAt = :now',
      ConditionExpression: '#s IN (:provisioning, :running)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: {
        ':stopped': 'stopped',
        ':at': stoppedAt,
        ':now': now,
        ':provisioning': 'provisioning',
        ':running': 'running',
      },
    }),
  );
}

/** Stopped -> terminated. False when it was not stopped any more. */
export async function markDeploymentTerminated(tenant: string, id: string, now: string): Promise<boolean> {
  return conditional(
    new UpdateCommand({
      TableName: deploymentsTable(),
      Key: deploymentKey(tenant, id),
      UpdateExpression: 'SET #s = :terminated, updatedAt = :now',
      ConditionExpression: '#s = :stopped',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':terminated': 'terminated', ':stopped': 'stopped', ':now': now },
    }),
  );
}

async function conditional(command: UpdateCommand): Promise<boolean> {
  try {
    await documentClient().send(command);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** All tenants' deployments the sweep has work on: live past `now`, or stopped before `cutoff`. */
export function scanExpiredDeployments(now: string, cutoff: string): AsyncGenerator<DeploymentItem> {
  return itemsOf(
    scanPages<DeploymentItem>({
      TableName: deploymentsTable(),
      FilterExpression: '(#s IN (:provisioning, :running) AND expiresAt <= :now) OR (#s = :stopped AND stoppedAt <= :cutoff)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: {
        ':provisioning': 'provisioning',
        ':running': 'running',
        ':stopped': 'stopped',
        ':now': now,
        ':cutoff': cutoff,
      },
    }),
  );
}

// --- file records ---

const manifestsTable = () => config.tableName('manifests');
const filesKey = (tenant: string, deploymentId: string) => `T#${tenant}#DEP#${deploymentId}`;
const pointerKey = (tenant: string, fileId: string) => ({ pk: `T#${tenant}#FILE#${fileId}`, sk: 'FILE' });

function toRecord(item: Record<string, unknown>): FileRecord {
  const { pk: _pk, sk: _sk, ...record } = item;
  return record as unknown as FileRecord;
}

export async function queryFileRecords(tenant: string, deploymentId: string): Promise<FileRecord[]> {
  const items = await queryAll({
    TableName: manifestsTable(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :f)',
    ExpressionAttributeValues: { ':pk': filesKey(tenant, deploymentId), ':f': 'F#' },
  });
  return items.map(toRecord);
}

export async function getFileRecord(tenant: string, deploymentId: string, fileName: string): Promise<FileRecord | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: manifestsTable(), Key: { pk: filesKey(tenant, deploymentId), sk: `F#${fileName}` } }),
  );
  return Item ? toRecord(Item) : undefined;
}

/** Writes the record and its id pointer together. */
export async function putFileRecord(tenant: string, record: FileRecord): Promise<void> {
  await documentClient().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: { TableName: manifestsTable(), Item: { pk: filesKey(tenant, record.deploymentId), sk: `F#${record.fileName}`, ...record } },
        },
        {
          Put: {
            TableName: manifestsTable(),
            Item: { ...pointerKey(tenant, record.id), deploymentId: record.deploymentId, fileName: record.fileName },
          },
        },
      ],
    }),
  );
}

/** Where a file id points (deployment and name), if the tenant has such an id. */
export async function getFilePointer(tenant: string, fileId: string): Promise<{ deploymentId: string; fileName: string } | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: manifestsTable(), Key: pointerKey(tenant, fileId) }));
  return Item as { deploymentId: string; fileName: string } | undefined;
}
