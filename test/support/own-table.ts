import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../local/bootstrap';
import { documentClient } from '../../lambdas/kit/aws';
import { TABLES, tableEnvVar, type TableId } from '../../lambdas/kit/data-model';
import { startTestApi, type TestApi } from './api';

/**
 * Points this test file at a table of its own (same definition, unique name) for the rest of the
 * file. For tests that sweep with a moved clock: DynamoDB Local is shared by every test file
 * running at the same time, and a sweep of the shared table judges the other files' records too.
 * The handlers read table names from the environment per call, so the in-process server follows.
 * Returns the clean-up (drops the table, restores the shared name).
 */
export async function useOwnTable(id: TableId): Promise<() => Promise<void>> {
  const envVar = tableEnvVar(id);
  const shared = process.env[envVar];
  const name = `satchel-${id}-own-${randomUUID()}`;
  await documentClient().send(new CreateTableCommand(createTableInput(TABLES[id], name)));
  process.env[envVar] = name;
  return async () => {
    process.env[envVar] = shared;
    await documentClient().send(new DeleteTableCommand({ TableName: name }));
  };
}

/**
 * The test API of a file whose sweeps move the clock: the file gets its own table `id` (see
 * useOwnTable) before the server starts, and both go after the file. Registers the jest hooks.
 */
export function testApiOnOwnTable(id: TableId): TestApi {
  const api = {} as TestApi;
  let dropTable: () => Promise<void>;
  beforeAll(async () => {
    dropTable = await useOwnTable(id);
    Object.assign(api, await startTestApi());
  });
  afterAll(async () => {
    await api.close();
    await dropTable();
  });
  return api;
}
