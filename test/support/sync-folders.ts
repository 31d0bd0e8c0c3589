import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSatchelClient } from '../../client/sdk';
import { startTestApi, type TestApi } from './api';

/**
 * The local API and a temporary folder for a test file of the sync CLI, set up around its tests:
 * the folders it syncs live in `work`, and so does the user's cache (push journal, synced state).
 */
export function syncFolders(prefix: string): { api: TestApi; work: string } {
  const context = {} as { api: TestApi; work: string };
  beforeAll(async () => {
    context.api = await startTestApi();
    context.work = mkdtempSync(join(tmpdir(), prefix));
    process.env.XDG_CACHE_HOME = join(context.work, 'cache');
  });
  afterAll(async () => {
    await context.api.close();
    rmSync(context.work, { recursive: true, force: true });
  });
  return context;
}

/** Writes a file at a workspace path under `root`, creating its folders. */
export function write(root: string, path: string, bytes: Buffer | string): void {
  const target = join(root, ...path.split('/'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes);
}

/** An SDK client with a sync key bound to `agent` of a new tenant, and the key (for the CLI). */
export async function syncClient(api: TestApi, agent: string) {
  const { key } = await api.key({ agent, surfaces: ['sync'] });
  return { key, client: createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 1 }) };
}
