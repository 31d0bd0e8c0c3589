import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { startTestApi, type TestApi } from '../../support/api';
import { itemsClient } from '../../support/items';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-stale-'));

/**
 * The search index lags the table (docs/items.md, Indexing and search): search checks every hit
 * against the table, so an item deleted, replaced, expired or not ready there is never shown, even
 * while the index still holds its chunks. The table is changed here behind the service's back, so
 * the index keeps exactly what a lagging index would.
 */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const QUERY = 'how do I rotate the signing keys?';
const note = (n: number) =>
  `Rotate the signing keys every ninety days (runbook ${n}): create the new signing key, then revoke the old keys.`;

async function tenantWithNotes(count: number) {
  const { key, tenant } = await api.key({ surfaces: ['items'] });
  const items = itemsClient(api.url, key);
  for (let n = 0; n < count; n++) {
    const res = await items.add({ scope: 'company', itemPath: `/runbooks/${String(n).padStart(2, '0')}.md`, content: note(n) });
    expect(res.status).toBe(201);
  }
  const key_ = (path: string) => ({ pk: `T#${tenant}#ITEMS#company#-`, sk: path });
  const table = config.tableName('manifests');
  const db = documentClient();
  return {
    items,
    /** Paths found, sorted (equal notes score nearly alike: which one leads is not the point here). */
    search: async (limit?: number) =>
      (
        (await items.search({ scope: 'company', query: QUERY, minScore: 0, limit })).body.results.map(
          (r: { path: string }) => r.path,
        ) as string[]
      ).sort(),
    removeEntry: (path: string) => db.send(new DeleteCommand({ TableName: table, Key: key_(path) })),
    setEntry: (path: string, changes: Record<string, unknown>) =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: key_(path),
          UpdateExpression: `SET ${Object.keys(changes)
            .map((_name, i) => `#n${i} = :v${i}`)
            .join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(Object.keys(changes).map((name, i) => [`#n${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(Object.values(changes).map((value, i) => [`:v${i}`, value])),
        }),
      ),
  };
}

it('drops hits whose item is deleted, replaced, expired or not ready in the table', async () => {
  const t = await tenantWithNotes(5);
  expect(await t.search()).toEqual(['/runbooks/00.md', '/runbooks/01.md', '/runbooks/02.md', '/runbooks/03.md', '/runbooks/04.md']);

  await t.removeEntry('/runbooks/00.md'); // deleted (or moved away)
  await t.setEntry('/runbooks/01.md', { itemId: 'a-newer-generation' }); // replaced, new chunks not indexed yet
  await t.setEntry('/runbooks/02.md', { expiresAt: Math.floor(Date.now() / 1000) - 60, expiryShard: 'ITEMS#a' }); // expired
  await t.setEntry('/runbooks/03.md', { status: 'pending' }); // being fetched again
  expect(await t.search()).toEqual(['/runbooks/04.md']);
  expect(await t.search(1)).toEqual(['/runbooks/04.md']);
});

it('shows the current generation once when the index still holds an older one at the same path', async () => {
  const t = await tenantWithNotes(2);
  // the table forgets which generation the index holds; the overwrite then leaves those chunks behind
  await t.setEntry('/runbooks/00.md', { itemId: 'a-lost-generation' });
  const overwritten = await t.items.add({
    scope: 'company',
    itemPath: '/runbooks/00.md',
    content: `${note(0)} Updated.`,
    metadata: { overwrite: true },
  });
  expect(overwritten.status).toBe(201);
  const res = await t.items.search({ scope: 'company', query: QUERY, minScore: 0 });
  expect(res.status).toBe(200);
  expect(res.body.results.map((r: { path: string }) => r.path).sort()).toEqual(['/runbooks/00.md', '/runbooks/01.md']);
  expect(res.body.results.find((r: { path: string }) => r.path === '/runbooks/00.md').content).toContain('Updated.');
});

it('still fills the limit with live items when more stale hits rank above them than the margin it asks for', async () => {
  // 15 stale hits, each scoring as high as the live ones: more than `limit + 10`
  const t = await tenantWithNotes(18);
  for (let n = 0; n < 15; n++) await t.removeEntry(`/runbooks/${String(n).padStart(2, '0')}.md`);
  const live = ['/runbooks/15.md', '/runbooks/16.md', '/runbooks/17.md'];
  const two = await t.search(2);
  expect(two).toHaveLength(2);
  expect(live).toEqual(expect.arrayContaining(two));
  expect(await t.search()).toEqual(live);
});
