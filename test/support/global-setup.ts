import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from '../../local/bootstrap';
import { startDynamo } from '../../local/dynamodb-local';
import { startS3 } from '../../local/emulators';
import { wordVectors } from '../../lambdas/adapters/word-vectors';
import { configureLanceThreads } from '../../lambdas/adapters/vector-index/lance-threads';

/** Starts the real local twins once for the whole run: DynamoDB Local (in memory) and s3rver. */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = mkdtempSync(join(tmpdir(), 'satchel-test-'));
  // every temporary folder a test makes (os.tmpdir() in the workers and the processes they spawn)
  // lands inside the run's folder, which the global teardown removes
  const temporary = join(dir, 'tmp');
  mkdirSync(temporary);
  const dynamo = await startDynamo();
  const s3 = await startS3({ directory: join(dir, 's3'), bucket: LOCAL_BUCKET });
  await ensureTables(dynamo.endpoint);
  // the offline ranking's word vectors are derived once per install (seconds, ~0.5 GB): here, before
  // the workers start, rather than in each worker's first search
  wordVectors();
  // workers are started after this and inherit the environment; LanceDB in them reads its pool sizes
  // from the real environment, which their sandboxed process.env never reaches (lance-threads.ts)
  configureLanceThreads();
  Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: s3.endpoint }), {
    SATCHEL_HOME: join(dir, 'home'),
    TMPDIR: temporary,
  });
  (globalThis as Record<string, unknown>).__SATCHEL_EMULATORS__ = { dynamo, s3, dir };
}
