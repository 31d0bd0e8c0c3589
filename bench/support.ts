import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from '../lambdas/auth/service/keys';
import { documentClient } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import type { Surface } from '../lambdas/contracts/surfaces';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from '../local/bootstrap';
import { startDynamo } from '../local/dynamodb-local';
import { startS3 } from '../local/emulators';
import { startServer } from '../local/server';

/** The p-th percentile of ascending samples (nearest rank). */
export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

export interface LocalApi {
  url: string;
  /** A new API key of tenant `bench`. */
  key(surfaces?: Surface[]): Promise<string>;
}

/** Runs `fn` against the local runtime (emulators + API server) in a temporary folder, then stops everything. */
export async function withLocalApi<T>(fn: (api: LocalApi) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'satchel-bench-'));
  const dynamo = await startDynamo();
  try {
    const s3 = await startS3({ directory: join(dir, 's3'), bucket: LOCAL_BUCKET });
    try {
      await ensureTables(dynamo.endpoint);
      Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: s3.endpoint }), { SATCHEL_HOME: join(dir, 'home') });
      const server = await startServer();
      try {
        const keys = new KeyStore(documentClient(), config.tableName('apiKeys'));
        return await fn({ url: server.url, key: async (surfaces) => (await keys.create({ tenant: 'bench', surfaces })).key });
      } finally {
        await server.close();
      }
    } finally {
      await s3.stop();
    }
  } finally {
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
