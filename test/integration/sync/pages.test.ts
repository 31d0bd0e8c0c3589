import { createHash } from 'node:crypto';
import { createSatchelClient } from '../../../client/sdk';
import { applyChanges, type ScopeRef, type FileEntry } from '../../../lambdas/sync/service/store';
import { itemsClient } from '../../support/items';
import { call, startTestApi, type TestApi } from '../../support/api';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A backed-up workspace of `count` files, written the way confirm writes them (99 entries per
 * manifest transaction). Restore and listing only read the manifest and sign URLs, so the bytes
 * themselves are not needed here.
 */
async function workspace(count: number) {
  const { key, tenant } = await api.key({ agent: 'big', surfaces: ['sync'] });
  const agent: ScopeRef = { tenant, agentId: 'big' };
  const modified = new Date().toISOString();
  const entries: FileEntry[] = Array.from({ length: count }, (_, i) => {
    const path = `notes/${String(i).padStart(5, '0')}.md`;
    return { path, hash: sha256(path), size: 100 + i, modified, location: 'b' };
  });
  for (let i = 0; i < entries.length; i += 99) {
    const changes = entries.slice(i, i + 99).map((next) => ({ path: next.path, next }));
    expect(await applyChanges(agent, changes, modified, true)).toBe(true);
  }
  return { key, paths: entries.map((e) => e.path) };
}

describe('no silent truncation for seed clients', () => {
  let big: Awaited<ReturnType<typeof workspace>>;
  beforeAll(async () => (big = await workspace(5000)), 120000);

  it('restores a 5,000-file workspace in one reconstruct call without a cursor', async () => {
    const res = await call(api.url, 'POST', '/agent/sync/reconstruct', { key: big.key, body: { mode: 'full' } });
    expect(res.status).toBe(200);
    expect(res.body.data.nextCursor).toBeUndefined();
    expect(res.body.data.files.map((f: { path: string }) => f.path)).toEqual(big.paths);
    expect(Buffer.byteLength(JSON.stringify(res.body))).toBeLessThan(5 * 1024 * 1024);
    const listed = await call(api.url, 'GET', '/agent/sync/files', { key: big.key });
    expect(listed.status).toBe(200);
    expect(listed.body.data.files).toHaveLength(5000);
    expect(listed.body.data.nextCursor).toBeUndefined();
  });

  describe('an answer that does not fit one response', () => {
    beforeAll(() => {
      process.env.SATCHEL_SYNC_RESPONSE_BYTES = String(64 * 1024);
    });
    afterAll(() => void delete process.env.SATCHEL_SYNC_RESPONSE_BYTES);

    it('is a 413 for a call without cursor or limit; pages bounded by bytes for one with them', async () => {
      for (const [method, path, body] of [
        ['POST', '/agent/sync/reconstruct', { mode: 'full' }],
        ['GET', '/agent/sync/files', undefined],
        ['GET', '/agent/sync/manifest', undefined],
      ] as const) {
        const res = await call(api.url, method, path, { key: big.key, body });
        expect([path, res.status, res.body.error?.code]).toEqual([path, 413, 'RESPONSE_TOO_LARGE']);
        expect(res.body.error.message).toMatch(/limit.*nextCursor/);
      }
      const first = await call(api.url, 'POST', '/agent/sync/reconstruct', { key: big.key, body: { mode: 'full', limit: 100000 } });
      expect(first.status).toBe(200);
      expect(first.body.data.nextCursor).toEqual(expect.any(String));
      expect(first.body.data.files.length).toBeGreaterThan(10);
      expect(Buffer.byteLength(JSON.stringify(first.body))).toBeLessThanOrEqual(64 * 1024);
      const second = await call(api.url, 'POST', '/agent/sync/reconstruct', {
        key: big.key,
        body: { mode: 'full', cursor: first.body.data.nextCursor },
      });
      expect(second.body.data.files[0].path > first.body.data.files.at(-1).path).toBe(true);
    });

    it("the SDK's list, manifest and restore follow every page", async () => {
      process.env.SATCHEL_SYNC_RESPONSE_BYTES = String(256 * 1024);
      const client = createSatchelClient({ baseUrl: api.url, apiKey: big.key, retries: 0 });
      expect((await client.syncListFiles()).files.map((f) => f.path)).toEqual(big.paths);
      expect((await client.syncListFiles({ prefix: 'notes/049' })).files).toHaveLength(100);
      expect(Object.keys((await client.syncGetManifest()).files)).toHaveLength(5000);
      expect((await client.syncReconstruct({ mode: 'full' })).files.map((f) => f.path)).toEqual(big.paths);
    });
  });
});

describe("seed 003's item list", () => {
  it('returns every item without a cursor (not the first 100), and pages with limit', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const scope = { scope: 'company' };
    for (let i = 0; i < 130; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          items.add({ ...scope, itemPath: `/n/${String(i + j).padStart(3, '0')}.txt`, content: `note ${i + j}` }),
        ),
      );
    }
    const all = await items.list(scope);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(130);
    expect(all.body.nextCursor).toBeUndefined();
    const page = await items.list({ ...scope, limit: 100 });
    expect(page.body.items).toHaveLength(100);
    expect(page.body.nextCursor).toEqual(expect.any(String));
  }, 60000);
});
