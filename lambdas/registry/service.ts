import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../kit/aws';
import { config } from '../kit/config';

/**
 * The workspace registry (seed 002). Layout of the `workspaces` table, one partition per tenant:
 *   pk `T#<tenant>`, sk `WS#<id>`          the workspace
 */
export interface Workspace {
  id: string;
  name: string;
  root_dir: string;
  add_dirs: string[];
  default_agent?: string;
  sandbox_ref?: string;
  created_at: string;
  updated_at: string;
}

const tenantKey = (tenant: string) => `T#${tenant}`;

export async function listWorkspaces(tenant: string): Promise<Workspace[]> {
  const items: Workspace[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: config.tableName('workspaces'),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ws)',
        ExpressionAttributeValues: { ':pk': tenantKey(tenant), ':ws': 'WS#' },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => toWorkspace(item)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => a.name.localeCompare(b.name));
}

function toWorkspace(item: Record<string, unknown>): Workspace {
  const { pk: _pk, sk: _sk, ...workspace } = item;
  return workspace as unknown as Workspace;
}
