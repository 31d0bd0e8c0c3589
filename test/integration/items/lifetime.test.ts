import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { vectorIndex } from '../../../lambdas/adapters/vector-index/select';
import { embedder } from '../../../lambdas/adapters/embedder/select';
import { s3Client } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { readEntry } from '../../../lambdas/items/service/store';
import { sweepExpired } from '../../../lambdas/items/service/expiry';
import { SCOPES, type Scope } from '../../../lambdas/items/service/scope';
import { startTestApi, type TestApi } from '../../support/api';
import { itemsClient } from '../../support/items';
import { SEED_DOCUMENTS, SEED_QUERY } from '../../fixtures/seed-documents';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-ttl-'));

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

/**
 * The test moves the clock the lifetime rules read instead of waiting, so any lifetime works. A short
 * one keeps the step forward small: the sweep judges the whole shared table by the moved clock, and
 * may remove only what expires within these few seconds anyway.
 */
const TTL_SECONDS = 2;
const ttlVariable = (scope: Scope) => `SATCHEL_TTL_${scope.toUpperCase()}_SECONDS`;
const scopeArgs = (scope: Scope) => (scope === 'agent' || scope === 'session' ? { scope, scopeId: `${scope}-1` } : { scope });

/**
 * Moves the clock item lifetimes are judged by to `atMs` (config.clockOffsetSeconds). The real clock
 * keeps running afterwards: a time before an expiry keeps a wide margin, a time after one stays after it.
 */
const setClock = (atMs: number) => {
  process.env.SATCHEL_CLOCK_OFFSET_SECONDS = String((atMs - Date.now()) / 1000);
};
/** Far enough before an expiry that no machine is slow enough to reach it during the checks. */
const LONG_BEFORE_MS = 3_600_000;

afterEach(() => {
  for (const scope of SCOPES) delete process.env[ttlVariable(scope)];
  delete process.env.SATCHEL_CLOCK_OFFSET_SECONDS;
});

describe.each(SCOPES)(`lifetime of the %s scope (configured to ${TTL_SECONDS} s)`, (scope) => {
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
    // the lifetime from the add, rounded up to a whole second
    expect(expiresAt).toBeGreaterThanOrEqual(before + TTL_SECONDS * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Math.ceil((after + TTL_SECONDS * 1000) / 1000) * 1000);
    const entry = await readEntry(
      { tenant, scope, scopeId: scope === 'agent' || scope === 'session' ? `${scope}-1` : '-' },
      '/docs/authentication.md',
    );

    // before the expiry it is there, and the sweep leaves it
    setClock(expiresAt - LONG_BEFORE_MS);
    expect((await items.get(at)).status).toBe(200);
    expect((await items.list(scopeArgs(scope))).body.items).toHaveLength(1);
    expect((await items.search({ query: SEED_QUERY, ...scopeArgs(scope) })).body.results).toHaveLength(1);
    await sweepExpired();
    expect(await readEntry({ tenant, scope, scopeId: entry?.scopeId ?? '-' }, '/docs/authentication.md')).toEqual(entry);

    // one second after it, it is gone everywhere before any sweep
    setClock(expiresAt + 1000);
    const gone = await items.get(at);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('ITEM_NOT_FOUND');
    expect((await items.list(scopeArgs(scope))).body.items).toEqual([]);
    expect((await items.search({ query: SEED_QUERY, ...scopeArgs(scope), minScore: 0 })).body.results).toEqual([]);
    expect((await items.move({ fromScope: scope, fromScopeId: at.scopeId, fromPath: at.itemPath, toPath: '/moved.md' })).status).toBe(404);
    expect((await items.remove(at)).status).toBe(404);

    // the sweep removes the entry, its bytes and its index documents
    const [vector] = await (await embedder()).embed([SEED_QUERY]);
    const bytes = await s3Client()
      .send(new HeadObjectCommand({ Bucket: config.bucketName, Key: entry?.blobKey }))
      .then(
        () => true,
        (error: Error) => (error.name === 'NotFound' ? false : Promise.reject(error)),
      );
    expect(bytes).toBe(true);
    await sweepExpired();
    const bytesAfter = await s3Client()
      .send(new HeadObjectCommand({ Bucket: config.bucketName, Key: entry?.blobKey }))
      .then(
        () => true,
        (error: Error) => (error.name === 'NotFound' ? false : Promise.reject(error)),
      );
    const index = await (await vectorIndex()).search({
      tenant,
      scope,
      scopeId: entry?.scopeId ?? '-',
      text: SEED_QUERY,
      vector,
      candidates: 10,
      now: 0,
    });
    expect({ bytes: bytesAfter, indexHits: index.length }).toEqual({ bytes: false, indexHits: 0 });
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
  const after = Date.now();
  const expires = Date.parse((await items.get({ scope: 'temporary', itemPath: '/t.txt' })).body.expiresAt);
  expect(expires).toBeGreaterThanOrEqual(before + 600_000);
  expect(expires).toBeLessThanOrEqual(Math.ceil((after + 600_000) / 1000) * 1000);
});

it('an expired item path is free for a new add without waiting for the sweep', async () => {
  const items = itemsClient(api.url, (await api.key({ surfaces: ['items'] })).key);
  await items.add({ scope: 'temporary', itemPath: '/x.md', content: SEED_DOCUMENTS[0].content });
  const expiresAt = Date.parse((await items.get({ scope: 'temporary', itemPath: '/x.md' })).body.expiresAt);
  setClock(expiresAt + 1000);
  expect((await items.add({ scope: 'temporary', itemPath: '/x.md', content: SEED_DOCUMENTS[2].content })).status).toBe(201);
  expect((await items.search({ query: SEED_QUERY, scope: 'temporary', minScore: 0.6 })).body.results).toEqual([]);
  expect((await items.get({ scope: 'temporary', itemPath: '/x.md' })).body.content).toBe(SEED_DOCUMENTS[2].content);
});

it('a move restarts the lifetime under the destination scope', async () => {
  process.env.SATCHEL_TTL_SESSION_SECONDS = '600';
  process.env.SATCHEL_TTL_AGENT_SECONDS = '3600';
  const items = itemsClient(api.url, (await api.key({ surfaces: ['items'] })).key);
  await items.add({ scope: 'session', scopeId: 's-1', itemPath: '/r.txt', content: 'r' });
  const sessionExpiry = Date.parse((await items.get({ scope: 'session', scopeId: 's-1', itemPath: '/r.txt' })).body.expiresAt);
  const beforeMove = Date.now();
  expect(
    (await items.move({ fromScope: 'session', fromScopeId: 's-1', fromPath: '/r.txt', toScope: 'agent', toScopeId: 'a-1' })).status,
  ).toBe(200);
  setClock(sessionExpiry + 1000); // past the session lifetime
  const got = await items.get({ scope: 'agent', scopeId: 'a-1', itemPath: '/r.txt' });
  expect(got.status).toBe(200);
  expect(got.body.content).toBe('r');
  // the agent lifetime, counted from the move
  expect(Date.parse(got.body.expiresAt)).toBeGreaterThanOrEqual(beforeMove + 3600_000);
});
