import { rmSync } from 'node:fs';
import type { RunningDynamo } from '../../local/dynamodb-local';
import type { RunningS3 } from '../../local/emulators';

export default async function globalTeardown(): Promise<void> {
  const emulators = (globalThis as Record<string, unknown>).__SATCHEL_EMULATORS__ as
    | { dynamo: RunningDynamo; s3: RunningS3; dir: string }
    | undefined;
  if (!emulators) return;
  await emulators.s3.stop();
  await emulators.dynamo.stop(); // no orphan Java process
  rmSync(emulators.dir, { recursive: true, force: true });
}
