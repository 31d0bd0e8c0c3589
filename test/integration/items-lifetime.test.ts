import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { vectorIndex } from '../../lambdas/adapters/vector-index';
import { embedder } from '../../lambdas/adapters/embedder';
import { s3Client } from '../../lambdas/kit/aws';
import { config } from '../../lambdas/kit/config';
import { readEntry } from '../../lambdas/items/entries';
import { sweepExpired } from '../../lambdas/items/expiry';
import { SCOPES, type Scope } from '../../lambdas/items/scope';
import { startTestApi, type TestApi } from '../support/api';
import { itemsClient, sleep } from '../support/items';
import { SEED_DOCUMENTS, SEED_QUERY } from '../fixtures/seed-documents';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-ttl-'));

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

/** Long enough for the checks before expiry on a loaded machine. */
const TTL_SECONDS = 4;
const ttlVariable = (scope: Scope) => `SATCHEL_TTL_${scope.toUpperCase()}_SECONDS`;
const scopeArgs = (scope: Scope) => (scope === 'agent' || scope === 'session' ? { scope, scopeId: `${scope}-1` } : { scope });

afterEach(() => {
  for (const scope of SCOPES) delete process.env[ttlVariable(scope)];
});

describe.each(SCOPES)('lifetime of the %s scope (configured to 4 s)', (scope) => {
  it('is visible until it expires, then invisible everywhere, its path free, and physically removed by the sweep', async () => {
    process.env[ttlVariable(scope)] = String(TTL_SECONDS);
    const { key, tenant } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const at = { ...scopeArgs(scope), itemPath: '/docs/authentication.md' };
    const before = Date.now();
    expect((await items.add({ ...at, content: SEED_DOCUMENTS[0].content })).status).toBe(201);
    const after = Date.now();
    const got = await items.get(at);
    const expiresAt = Date.parse(got.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + TTL_SECONDS * 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + TTL_SECONDS * 1000 + 1000);
    expect((await items.search({ query: SEED_QUERY, ...scopeArgs(scope) })).body.results).toHaveLength(1);
    const entry = await readEntry({ tenant, scope, scopeId: scope === 'agent' || scope === 'session' ? `${scope}-1` : '-' }, '/docs/authentication.md');

    await sleep(Date.parse(got.body.expiresAt) - Date.now() + 100);
    const gone = await items.get(at);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('ITEM_NOT_FOUND');
    expect((await items.list(scopeArgs(scope))).body.items).toEqual([]);
    expect((await items.search({ query: SEED_QUERY, ...scopeArgs(scope), minScore: 0 })).body.results).toEqual([]);
    expect((await items.move({ fromScope: scope, fromScopeId: at.scopeId, fromPath: at.itemPath, toPath: '/moved.md' })).status).toBe(404);
    expect((await items.remove(at)).status).toBe(404);

    // the sweep removes the entry, its bytes and its index documents; it judges expiry in whole
    // seconds (the TTL attribute's unit), so it may need one more round within the second after expiry
    const [vector] = await (await embedder()).embed([SEED_QUERY]);
    const remains = async () => {
      const bytes = await s3Client().send(new HeadObjectCommand({ Bucket: config.bucketName, Key: entry?.blobKey })).then(
        () => true,
        (error: Error) => (error.name === 'NotFound' ? false : Promise.reject(error)),
      );
      const index = await (await vectorIndex()).search({ tenant, scope, scopeId: entry?.scopeId ?? '-', text: SEED_QUERY, vector, candidates: 10, now: 0 });
      return { bytes, indexHits: index.length };
    };
    await sweepExpired();
    let left = await remains();
    for (let i = 0; i < 10 && (left.bytes || left.indexHits); i++) {
      await sleep(250);
      await sweepExpired();
      left = await remains();
    }
    expect(left).toEqual({ bytes: false, indexHits: 0 });
    expect(await readEntry({ tenant, scope, scopeId: entry?.scopeId ?? '-' }, '/docs/authentication.md')).toBeUndefined();

    // the path is free again
    expect((await items.add({ ...at, content: 'again' })).status).toBe(201);
    expect((await items.get(at)).body.content).toBe('again');
  });
});

it('company items are permanent by default; temporary ones expire after 10 minutes', async () => {
  const items = itemsClient(api.url, (await api.key({ surfaces: ['items'] })).key);
  await items.add({ scope: 'company', itemPath: '/c.txt', content: 'c' });
  expect((await items.get({ scope: 'company', itemPath: '/c.txt' })).body.expiresAt).toBeNull();
  const before = Date.now();
  await items.add({ scope: 'temporary', itemPath: '/t.txt', content: 't' });
  const expires = Date.parse((await items.get({ scope: 'temporary', itemPath: '/t.txt' })).body.expiresAt);
  expect(expires - before).toBeGreaterThanOrEqual(600_000 - 1000);
  expect(expires - before).toBeLessThanOrEqual(601_000 + 1000);
});

it('an expired item path is free for a new add without waiting for the sweep', async () => {
  process.env.SATCHEL_TTL_TEMPORARY_SECONDS = '1';
  const items = itemsClient(api.url, (await api.key({ surfaces: ['items'] })).key);
  await items.add({ scope: 'temporary', itemPath: '/x.md', content: SEED_DOCUMENTS[0].content });
  await sleep(2100);
  delete process.env.SATCHEL_TTL_TEMPORARY_SECONDS;
  expect((await items.add({ scope: 'temporary', itemPath: '/x.md', content: SEED_DOCUMENTS[2].content })).status).toBe(201);
  expect((await items.search({ query: SEED_QUERY, scope: 'temporary', minScore: 0.6 })).body.results).toEqual([]);
  expect((await items.get({ scope: 'temporary', itemPath: '/x.md' })).body.content).toBe(SEED_DOCUMENTS[2].content);
});

it('a move restarts the lifetime under the destination scope', async () => {
  process.env.SATCHEL_TTL_SESSION_SECONDS = '4';
  process.env.SATCHEL_TTL_AGENT_SECONDS = '60';
  const items = itemsClient(api.url, (await api.key({ surfaces: ['items'] })).key);
  await items.add({ scope: 'session', scopeId: 's-1', itemPath: '/r.txt', content: 'r' });
  const sessionExpiry = Date.parse((await items.get({ scope: 'session', scopeId: 's-1', itemPath: '/r.txt' })).body.expiresAt);
  expect((await items.move({ fromScope: 'session', fromScopeId: 's-1', fromPath: '/r.txt', toScope: 'agent', toScopeId: 'a-1' })).status).toBe(200);
  await sleep(sessionExpiry - Date.now() + 200); // past the session lifetime
  const got = await items.get({ scope: 'agent', scopeId: 'a-1', itemPath: '/r.txt' });
  expect(got.body.content).toBe('r');
  expect(Date.parse(got.body.expiresAt) - Date.now()).toBeGreaterThan(50_000);
});
