import { queryPages } from '../../lambdas/kit/paging';
import { config } from '../../lambdas/kit/config';
import { CHANGE_END, CHANGE_PREFIX, partitionKey } from '../../lambdas/memory/service/store';

/** Change items (and void markers) an agent's memory log holds, read straight from the table. */
export async function logItemCount(tenant: string, agent: string): Promise<number> {
  let count = 0;
  const input = {
    TableName: config.tableName('syncRecords'),
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': partitionKey(tenant, agent), ':from': CHANGE_PREFIX, ':to': CHANGE_END },
    ProjectionExpression: 'sk',
  };
  for await (const page of queryPages(input)) count += page.items.length;
  return count;
}
