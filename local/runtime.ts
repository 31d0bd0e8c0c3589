import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KeyStore } from '../lambdas/auth/keys';
import { documentClient } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import { sweepExpired } from '../lambdas/items/expiry';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from './bootstrap';
import { startServer } from './server';
import { startDynamo, startS3 } from './emulators';

export const satchelHome = (): string => resolve(process.env.SATCHEL_HOME ?? '.satchel');
/** Written while `npm start` runs, so the CLI can reach the same DynamoDB Local and API. */
export const runtimeFile = (home: string): string => join(home, 'runtime.json');

export interface LocalRuntimeInfo {
  url: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  pid: number;
}

export interface LocalSatchel extends LocalRuntimeInfo {
  apiKey: string;
  keyCreated: boolean;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and the S3 emulator with state under `home`, then serves every route. */
export async function startLocalSatchel(options: { home: string; port: number; apiKey?: string; onStep?: (step: string) => void }): Promise<LocalSatchel> {
  const step = options.onStep ?? (() => undefined);
  mkdirSync(options.home, { recursive: true });
  step('starting DynamoDB Local');
  const dynamo = await startDynamo({ dbPath: join(options.home, 'dynamodb') });
  const stops: (() => Promise<void>)[] = [dynamo.stop];
  try {
    step('starting the S3 emulator');
    const s3 = await startS3({ directory: join(options.home, 's3'), bucket: LOCAL_BUCKET });
    stops.unshift(s3.stop);
    step('creating tables');
    await ensureTables(dynamo.endpoint);
    Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: s3.endpoint }), { SATCHEL_HOME: options.home });

    const keys = new KeyStore(documentClient(), config.tableName('apiKeys'));
    let apiKey = options.apiKey;
    let keyCreated = false;
    if (apiKey) {
      const known = await keys.findActive(apiKey);
      if (!known) await keys.create({ tenant: 'local', key: apiKey });
    } else {
      apiKey = (await keys.create({ tenant: 'local' })).key;
      keyCreated = true;
    }

    step('starting the API');
    const server = await startServer({ port: options.port });
    stops.unshift(server.close);
    // DynamoDB Local has no TTL deletion and no stream consumers: sweep expired items on an interval
    const sweeper = setInterval(() => void sweepExpired().catch((error: Error) => console.error('item sweep failed', error)), config.itemSweepIntervalSeconds * 1000);
    sweeper.unref();
    stops.unshift(async () => clearInterval(sweeper));
    const info: LocalRuntimeInfo = { url: server.url, dynamoEndpoint: dynamo.endpoint, s3Endpoint: s3.endpoint, pid: process.pid };
    writeFileSync(runtimeFile(options.home), JSON.stringify(info, null, 2));
    return {
      ...info,
      apiKey,
      keyCreated,
      stop: async () => {
        rmSync(runtimeFile(options.home), { force: true });
        for (const stop of stops) await stop().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => undefined);
    throw error;
  }
}
