import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyStore } from '../lambdas/auth/service/keys';
import { documentClient } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import { wordVectors } from '../lambdas/adapters/word-vectors';
import { sweepExpired } from '../lambdas/items/service/expiry';
import { closeLexicalThread } from '../lambdas/items/service/indexing';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from './bootstrap';
import { startServer } from './server';
import { startDynamo } from './dynamodb-local';
import { startS3 } from './emulators';
import { expireUnconfirmedUploads } from './upload-expiry';
import { lockHome, removeRecords, writeRecords, type LocalRuntimeInfo } from './runtime-records';

/** The `local` tenant's key of a state folder, kept across restarts, readable by the user only. */
const keyFile = (home: string): string => join(home, 'local-api-key');

/**
 * The key `npm start` prints: SATCHEL_API_KEY when given (registered if new); else the one kept in
 * the state folder while it is still valid; else a new one, kept for the next start.
 */
async function localKey(keys: KeyStore, home: string, given: string | undefined): Promise<{ apiKey: string; keyCreated: boolean }> {
  if (given) {
    if (!(await keys.findActive(given))) await keys.create({ tenant: 'local', key: given });
    return { apiKey: given, keyCreated: false };
  }
  const file = keyFile(home);
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (kept) {
    const record = await keys.find(kept);
    if (record && !record.revokedAt) return { apiKey: kept, keyCreated: false };
    // the tables were reset: register it again; a revoked one stays revoked and is replaced
    if (!record) return { apiKey: (await keys.create({ tenant: 'local', key: kept })).key, keyCreated: false };
  }
  const apiKey = (await keys.create({ tenant: 'local' })).key;
  writeFileSync(file, `${apiKey}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { apiKey, keyCreated: true };
}

export interface LocalSatchel extends LocalRuntimeInfo {
  apiKey: string;
  keyCreated: boolean;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and the S3 emulator with state under `home`, then serves every route. */
export async function startLocalSatchel(options: {
  home: string;
  port: number;
  apiKey?: string;
  onStep?: (step: string) => void;
}): Promise<LocalSatchel> {
  const step = options.onStep ?? (() => undefined);
  mkdirSync(options.home, { recursive: true });
  const unlock = lockHome(options.home, options.port);
  const stops: (() => Promise<void>)[] = [async () => unlock()];
  try {
    step('starting DynamoDB Local');
    const dynamo = await startDynamo({ dbPath: join(options.home, 'dynamodb') });
    stops.unshift(dynamo.stop);
    step('starting the S3 emulator');
    const s3 = await startS3({ directory: join(options.home, 's3'), bucket: LOCAL_BUCKET });
    stops.unshift(s3.stop);
    step('creating tables');
    await ensureTables(dynamo.endpoint);
    Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: s3.endpoint }), { SATCHEL_HOME: options.home });

    const { apiKey, keyCreated } = await localKey(
      new KeyStore(documentClient(), config.tableName('apiKeys')),
      options.home,
      options.apiKey,
    );

    if (config.embedder === 'lexical') {
      // read here, not in the first search: the first start after an install derives them (seconds, ~0.5 GB)
      step('loading the search word vectors (the first start after an install derives them: a few seconds)');
      wordVectors();
    }
    stops.unshift(closeLexicalThread);
    step('starting the API');
    const server = await startServer({ port: options.port });
    stops.unshift(server.close);
    // DynamoDB Local has no TTL deletion and no stream consumers: sweep expired items on an interval
    const sweeper = setInterval(
      () => void sweepExpired().catch((error: Error) => console.error('item sweep failed', error)),
      config.itemSweepIntervalSeconds * 1000,
    );
    sweeper.unref();
    stops.unshift(async () => clearInterval(sweeper));
    // nor lifecycle rules: uploads never confirmed are removed hourly, as S3 would after a day
    const expireUploads = () => void expireUnconfirmedUploads().catch((error: Error) => console.error('upload expiry failed', error));
    const uploadSweeper = setInterval(expireUploads, 3600 * 1000);
    uploadSweeper.unref();
    stops.unshift(async () => clearInterval(uploadSweeper));
    expireUploads();
    const info: LocalRuntimeInfo = {
      url: server.url,
      dynamoEndpoint: dynamo.endpoint,
      s3Endpoint: s3.endpoint,
      pid: process.pid,
      home: options.home,
    };
    writeRecords(info);
    stops.unshift(async () => removeRecords(info));
    return {
      ...info,
      apiKey,
      keyCreated,
      stop: async () => {
        for (const stop of stops) await stop().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => undefined);
    throw error;
  }
}
