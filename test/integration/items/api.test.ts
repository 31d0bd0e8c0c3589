import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../../support/api';
import { itemsClient } from '../../support/items';
import { SEED_DOCUMENTS, SEED_QUERY, UNRELATED_QUERY } from '../../fixtures/seed-documents';

// this file's own embedded vector index
process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-'));

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const client = async (options: { agent?: string; tenant?: string } = {}) => {
  const { key, tenant } = await api.key({ ...options, surfaces: ['items'] });
  return { ...itemsClient(api.url, key), tenant };
};

const agentScope = { scope: 'agent', scopeId: 'agent-123' };

describe('add, get, list', () => {
  it('adds an item and answers it as in the seed', async () => {
    const items = await client();
    const add = await items.add({
      ...agentScope,
      itemPath: '/docs/new-guide.md',
      content: '# New Guide\n\nContent here...',
      metadata: { contentType: 'text/markdown', description: 'New documentation', tags: ['documentation', 'new'] },
    });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ success: true, path: '/docs/new-guide.md', message: 'Item created' });

    const got = await items.get({ ...agentScope, itemPath: '/docs/new-guide.md' });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      path: '/docs/new-guide.md',
      content: '# New Guide\n\nContent here...',
      encoding: 'utf8',
      contentType: 'text/markdown',
      size: 28,
      metadata: { description: 'New documentation', tags: ['documentation', 'new'] },
    });
    expect(Date.parse(got.body.createdAt)).not.toBeNaN();

    const listed = await items.list(agentScope);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        path: '/docs/new-guide.md',
        contentType: 'text/markdown',
        size: 28,
        metadata: { description: 'New documentation', tags: ['documentation', 'new'] },
      }),
    ]);
  });

  it('normalises paths (leading slash, repeated slashes)', async () => {
    const items = await client();
    expect((await items.add({ ...agentScope, itemPath: 'notes//a.txt', content: 'a' })).body.path).toBe('/notes/a.txt');
    expect((await items.get({ ...agentScope, itemPath: '/notes/a.txt' })).body.content).toBe('a');
  });

  it('filters by prefix and pages with limit and nextCursor', async () => {
    const items = await client();
    for (const name of ['a', 'b', 'c', 'd']) await items.add({ ...agentScope, itemPath: `/docs/${name}.txt`, content: name });
    await items.add({ ...agentScope, itemPath: '/other/x.txt', content: 'x' });
    const prefixed = await items.list({ ...agentScope, prefix: '/docs/' });
    expect(prefixed.body.items.map((i: { path: string }) => i.path)).toEqual(['/docs/a.txt', '/docs/b.txt', '/docs/c.txt', '/docs/d.txt']);

    const first = await items.list({ ...agentScope, limit: 3 });
    expect(first.body.items.map((i: { path: string }) => i.path)).toEqual(['/docs/a.txt', '/docs/b.txt', '/docs/c.txt']);
    const second = await items.list({ ...agentScope, limit: 3, cursor: first.body.nextCursor });
    expect(second.body.items.map((i: { path: string }) => i.path)).toEqual(['/docs/d.txt', '/other/x.txt']);
    expect(second.body.nextCursor).toBeUndefined();
    expect((await items.list({ ...agentScope, cursor: 'bm9wZQ' })).status).toBe(400);
  });

  it('stores binary content given as base64 and answers it base64 with a flag, unindexed', async () => {
    const items = await client();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10]);
    const add = await items.add({ scope: 'company', itemPath: '/img/logo.png', content: bytes.toString('base64'), encoding: 'base64' });
    expect(add.status).toBe(201);
    const got = await items.get({ scope: 'company', itemPath: '/img/logo.png' });
    expect(got.body).toMatchObject({
      encoding: 'base64',
      contentType: 'image/png',
      size: bytes.length,
      content: bytes.toString('base64'),
      expiresAt: null,
    });
    expect((await items.status({ scope: 'company', itemPath: '/img/logo.png' })).body).toMatchObject({ status: 'ready', indexedChunks: 0 });
  });

  it('refuses inline content over 1 MiB with 413', async () => {
    const items = await client();
    const res = await items.add({ scope: 'company', itemPath: '/big.txt', content: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/fileUrl/);
    expect((await items.get({ scope: 'company', itemPath: '/big.txt' })).status).toBe(404);
  });
});

describe('error codes', () => {
  it('PATH_REQUIRED when itemPath is missing (add, get, delete, status, move)', async () => {
    const items = await client();
    for (const res of [
      await items.add({ ...agentScope, content: 'x' }),
      await items.get(agentScope),
      await items.remove(agentScope),
      await items.status(agentScope),
      await items.move({ fromScope: 'agent', fromScopeId: 'agent-123', toPath: '/x' }),
      await items.add({ ...agentScope, itemPath: '/', content: 'x' }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: { code: 'PATH_REQUIRED', message: expect.any(String) } });
    }
  });

  it('INVALID_SCOPE for an unknown scope', async () => {
    const items = await client();
    for (const res of [
      await items.add({ scope: 'planet', scopeId: 'x', itemPath: '/a', content: 'x' }),
      await items.list({ scope: 'planet' }),
      await items.search({ query: 'x', scope: 'planet' }),
      await items.move({ fromScope: 'company', fromPath: '/a', toScope: 'galaxy' }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_SCOPE');
    }
  });

  it('SCOPE_ID_REQUIRED for agent and session without scopeId (agent is the default scope)', async () => {
    const items = await client();
    for (const res of [
      await items.add({ itemPath: '/a', content: 'x' }),
      await items.add({ scope: 'session', itemPath: '/a', content: 'x' }),
      await items.list({ scope: 'agent' }),
      await items.get({ scope: 'session', itemPath: '/a' }),
      await items.search({ query: 'x', scope: 'session' }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('SCOPE_ID_REQUIRED');
    }
  });

  it('ITEM_EXISTS when the path is taken; metadata.overwrite replaces', async () => {
    const items = await client();
    await items.add({ scope: 'company', itemPath: '/a.txt', content: 'first' });
    const again = await items.add({ scope: 'company', itemPath: '/a.txt', content: 'second' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ITEM_EXISTS');
    expect((await items.get({ scope: 'company', itemPath: '/a.txt' })).body.content).toBe('first');
    const replaced = await items.add({
      scope: 'company',
      itemPath: '/a.txt',
      content: 'second',
      metadata: { overwrite: true, note: 'v2' },
    });
    expect(replaced.status).toBe(201);
    const got = await items.get({ scope: 'company', itemPath: '/a.txt' });
    expect(got.body).toMatchObject({ content: 'second', metadata: { note: 'v2' } });
  });

  it('ITEM_NOT_FOUND for get, delete, status and move of a missing item', async () => {
    const items = await client();
    for (const res of [
      await items.get({ scope: 'company', itemPath: '/missing' }),
      await items.remove({ scope: 'company', itemPath: '/missing' }),
      await items.status({ scope: 'company', itemPath: '/missing' }),
      await items.move({ fromScope: 'company', fromPath: '/missing', toPath: '/elsewhere' }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ success: false, error: { code: 'ITEM_NOT_FOUND', message: expect.any(String) } });
    }
  });

  it('400 with the reason for bad paths and bad input', async () => {
    const items = await client();
    for (const [itemPath, reason] of [
      ['/docs/../secret', /'\.\.'/],
      ['/docs/a\u0001b', /control/],
      [`/${'a'.repeat(1100)}`, /longer than/],
      ['/docs/', /not end with/],
    ] as const) {
      const res = await items.add({ scope: 'company', itemPath, content: 'x' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(reason);
    }
    expect((await items.add({ scope: 'company', itemPath: '/a' })).body.error.message).toMatch(/content or fileUrl/);
    expect((await items.add({ scope: 'company', itemPath: '/a', content: 'x', fileUrl: 'https://example.com' })).status).toBe(400);
    expect((await items.add({ scope: 'session', scopeId: 'bad#id', itemPath: '/a', content: 'x' })).status).toBe(400);
    expect((await items.search({ query: 'x', scope: 'company', limit: 51 })).status).toBe(400);
    expect((await items.search({ query: 'x', scope: 'company', minScore: 1.5 })).status).toBe(400);
    expect((await items.search({ scope: 'company' })).status).toBe(400);
  });
});

describe('scopes and keys', () => {
  it('an agent-bound key uses its own agent (default scopeId) and cannot see another agent', async () => {
    const { key, tenant } = await api.key({ agent: 'agent-a', surfaces: ['items'] });
    const own = itemsClient(api.url, key);
    expect((await own.add({ itemPath: '/mine.txt', content: 'mine' })).status).toBe(201);
    expect((await own.get({ scope: 'agent', scopeId: 'agent-a', itemPath: '/mine.txt' })).body.content).toBe('mine');
    const foreign = await own.list({ scope: 'agent', scopeId: 'agent-b' });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('ITEM_NOT_FOUND');
    expect((await own.add({ scope: 'agent', scopeId: 'agent-b', itemPath: '/x', content: 'x' })).status).toBe(404);
    // tenant-wide scopes stay open to it
    expect((await own.add({ scope: 'company', itemPath: '/shared.txt', content: 'shared' })).status).toBe(201);
    const tenantKey = itemsClient(api.url, (await api.key({ tenant, surfaces: ['items'] })).key);
    expect((await tenantKey.get({ scope: 'company', itemPath: '/shared.txt' })).body.content).toBe('shared');
    expect((await tenantKey.get({ scope: 'agent', scopeId: 'agent-a', itemPath: '/mine.txt' })).body.content).toBe('mine');
  });

  it('another tenant sees nothing: 404 for the same path', async () => {
    const a = await client();
    const b = await client();
    await a.add({ scope: 'company', itemPath: '/secret.txt', content: 'a only' });
    expect((await b.get({ scope: 'company', itemPath: '/secret.txt' })).status).toBe(404);
    expect((await b.list({ scope: 'company' })).body.items).toEqual([]);
    expect((await b.remove({ scope: 'company', itemPath: '/secret.txt' })).status).toBe(404);
  });

  it('refuses a key without the items surface', async () => {
    const { key } = await api.key({ surfaces: ['memory'] });
    const res = await itemsClient(api.url, key).list({ scope: 'company' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });
});

describe('delete and move', () => {
  it('deletes an item: gone from get, list and search', async () => {
    const items = await client();
    await items.add({ scope: 'company', itemPath: '/docs/authentication.md', content: SEED_DOCUMENTS[0].content });
    const res = await items.remove({ scope: 'company', itemPath: '/docs/authentication.md' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: 'Item deleted' });
    expect((await items.get({ scope: 'company', itemPath: '/docs/authentication.md' })).status).toBe(404);
    expect((await items.list({ scope: 'company' })).body.items).toEqual([]);
    expect((await items.search({ query: SEED_QUERY, scope: 'company' })).body.results).toEqual([]);
    expect((await items.remove({ scope: 'company', itemPath: '/docs/authentication.md' })).status).toBe(404);
  });

  it('renames within a scope: found at the new path only, in get and search', async () => {
    const items = await client();
    await items.add({ ...agentScope, itemPath: '/docs/old-name.md', content: SEED_DOCUMENTS[0].content });
    const res = await items.move({
      fromScope: 'agent',
      fromScopeId: 'agent-123',
      fromPath: '/docs/old-name.md',
      toPath: '/docs/new-name.md',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: 'Item moved' });
    expect((await items.get({ ...agentScope, itemPath: '/docs/old-name.md' })).status).toBe(404);
    expect((await items.get({ ...agentScope, itemPath: '/docs/new-name.md' })).body.content).toBe(SEED_DOCUMENTS[0].content);
    const found = await items.search({ query: SEED_QUERY, ...agentScope, minScore: 0.6 });
    expect(found.body.results.map((r: { path: string }) => r.path)).toEqual(['/docs/new-name.md']);
  });

  it('moves across scopes (session -> agent): the index and lifetime follow the destination', async () => {
    const items = await client();
    const session = { scope: 'session', scopeId: 'session-456' };
    await items.add({
      ...session,
      itemPath: '/uploads/report.md',
      content: SEED_DOCUMENTS[0].content,
      metadata: { description: 'report' },
    });
    const before = await items.get({ ...session, itemPath: '/uploads/report.md' });
    const res = await items.move({
      fromScope: 'session',
      fromScopeId: 'session-456',
      fromPath: '/uploads/report.md',
      toPath: '/reports/final-report.md',
      toScope: 'agent',
      toScopeId: 'agent-123',
    });
    expect(res.status).toBe(200);
    expect((await items.get({ ...session, itemPath: '/uploads/report.md' })).status).toBe(404);
    const after = await items.get({ ...agentScope, itemPath: '/reports/final-report.md' });
    expect(after.body).toMatchObject({
      content: SEED_DOCUMENTS[0].content,
      metadata: { description: 'report' },
      createdAt: before.body.createdAt,
    });
    // agent lifetime (7 days) instead of session (24 hours), counted from the move
    const lifetime = Date.parse(after.body.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(6.9 * 86400_000);
    expect((await items.search({ query: SEED_QUERY, ...session, minScore: 0 })).body.results).toEqual([]);
    expect(
      (await items.search({ query: SEED_QUERY, ...agentScope, minScore: 0.5 })).body.results.map((r: { path: string }) => r.path),
    ).toEqual(['/reports/final-report.md']);
  });

  it('moves into a tenant-wide scope and back out under another path', async () => {
    const items = await client();
    await items.add({ scope: 'temporary', itemPath: '/t.txt', content: 'temp' });
    expect((await items.move({ fromScope: 'temporary', fromPath: '/t.txt', toScope: 'company' })).status).toBe(200);
    expect((await items.get({ scope: 'company', itemPath: '/t.txt' })).body).toMatchObject({ content: 'temp', expiresAt: null });
    expect((await items.get({ scope: 'temporary', itemPath: '/t.txt' })).status).toBe(404);
  });

  it('refuses a taken destination with ITEM_EXISTS and leaves both items in place', async () => {
    const items = await client();
    await items.add({ scope: 'company', itemPath: '/a.txt', content: 'a' });
    await items.add({ scope: 'company', itemPath: '/b.txt', content: 'b' });
    const res = await items.move({ fromScope: 'company', fromPath: '/a.txt', toPath: '/b.txt' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ITEM_EXISTS');
    expect((await items.get({ scope: 'company', itemPath: '/a.txt' })).body.content).toBe('a');
    expect((await items.get({ scope: 'company', itemPath: '/b.txt' })).body.content).toBe('b');
    expect((await items.move({ fromScope: 'company', fromPath: '/a.txt', toPath: '/a.txt' })).status).toBe(400);
  });
});

describe('search', () => {
  it("answers the seed's example at the defaults: authentication first with score >= 0.7; an unrelated query finds nothing", async () => {
    const items = await client();
    for (const doc of SEED_DOCUMENTS)
      expect((await items.add({ ...agentScope, itemPath: doc.path, content: doc.content })).status).toBe(201);
    const res = await items.search({ query: SEED_QUERY, ...agentScope });
    expect(res.status).toBe(200);
    expect(res.body.query).toBe(SEED_QUERY);
    expect(res.body.results[0]).toMatchObject({ path: '/docs/authentication.md', metadata: { contentType: 'text/markdown' } });
    expect(res.body.results[0].score).toBeGreaterThanOrEqual(0.7);
    expect(res.body.results[0].content).toContain('To authenticate users');
    expect(res.body.totalResults).toBe(res.body.results.length);
    const nothing = await items.search({ query: UNRELATED_QUERY, ...agentScope });
    expect(nothing.body).toEqual({ results: [], query: UNRELATED_QUERY, totalResults: 0 });
  });

  it('finds a note asked for in synonyms of its key words at the default minScore, and nothing for a question it does not answer', async () => {
    const items = await client();
    for (const doc of SEED_DOCUMENTS) await items.add({ scope: 'company', itemPath: doc.path, content: doc.content });
    // the note says "holidays" and "paid leave"; the question says "vacation" (a WordNet synonym of holiday)
    const paraphrase = await items.search({ query: 'How much vacation do employees get?', scope: 'company' });
    expect(paraphrase.body.results[0]).toMatchObject({ path: '/hr/holidays.md' });
    expect(paraphrase.body.results[0].score).toBeGreaterThanOrEqual(0.7);
    const unanswered = await items.search({ query: 'What is the guest wifi password in the office?', scope: 'company' });
    expect(unanswered.body.results).toEqual([]);
  });

  it('gives one result per item (its best chunk), sorted by score then path, within limit and minScore', async () => {
    const items = await client();
    const long = Array.from(
      { length: 12 },
      (_, i) => `Section ${i}. Users authenticate with tokens; authentication of users is checked on every request.`,
    )
      .join('\n\n')
      .repeat(3);
    await items.add({ scope: 'company', itemPath: '/long/authentication.md', content: long });
    expect((await items.status({ scope: 'company', itemPath: '/long/authentication.md' })).body.indexedChunks).toBeGreaterThan(1);
    await items.add({ scope: 'company', itemPath: '/b/authentication.md', content: SEED_DOCUMENTS[0].content });
    await items.add({ scope: 'company', itemPath: '/a/authentication.md', content: SEED_DOCUMENTS[0].content });
    const res = await items.search({ query: SEED_QUERY, scope: 'company', minScore: 0 });
    const paths = res.body.results.map((r: { path: string }) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toHaveLength(3);
    const scores = res.body.results.map((r: { score: number }) => r.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    // identical documents tie: the path decides
    expect(paths.indexOf('/a/authentication.md')).toBe(paths.indexOf('/b/authentication.md') - 1);
    expect((await items.search({ query: SEED_QUERY, scope: 'company', minScore: 0, limit: 1 })).body.results).toHaveLength(1);
    expect((await items.search({ query: SEED_QUERY, scope: 'company', minScore: 0.99 })).body.results).toEqual([]);
  });

  it('never leaks another scope, scopeId or tenant', async () => {
    const items = await client();
    const other = await client();
    const doc = SEED_DOCUMENTS[0];
    await items.add({ scope: 'agent', scopeId: 'agent-1', itemPath: '/agent1.md', content: doc.content });
    await items.add({ scope: 'agent', scopeId: 'agent-2', itemPath: '/agent2.md', content: doc.content });
    await items.add({ scope: 'session', scopeId: 'agent-1', itemPath: '/session.md', content: doc.content });
    await items.add({ scope: 'company', itemPath: '/company.md', content: doc.content });
    await items.add({ scope: 'temporary', itemPath: '/temporary.md', content: doc.content });
    await other.add({ scope: 'agent', scopeId: 'agent-1', itemPath: '/other-tenant.md', content: doc.content });
    const found = async (c: typeof items, scope: Record<string, string>) =>
      (await c.search({ query: SEED_QUERY, ...scope, minScore: 0 })).body.results.map((r: { path: string }) => r.path);
    expect(await found(items, { scope: 'agent', scopeId: 'agent-1' })).toEqual(['/agent1.md']);
    expect(await found(items, { scope: 'agent', scopeId: 'agent-2' })).toEqual(['/agent2.md']);
    expect(await found(items, { scope: 'session', scopeId: 'agent-1' })).toEqual(['/session.md']);
    expect(await found(items, { scope: 'company' })).toEqual(['/company.md']);
    expect(await found(items, { scope: 'temporary' })).toEqual(['/temporary.md']);
    expect(await found(other, { scope: 'agent', scopeId: 'agent-1' })).toEqual(['/other-tenant.md']);
    expect(await found(other, { scope: 'company' })).toEqual([]);
  });

  it('keeps the index consistent when an item is overwritten', async () => {
    const items = await client();
    await items.add({ scope: 'company', itemPath: '/docs/page.md', content: SEED_DOCUMENTS[0].content });
    await items.add({ scope: 'company', itemPath: '/docs/page.md', content: SEED_DOCUMENTS[2].content, metadata: { overwrite: true } });
    expect((await items.search({ query: SEED_QUERY, scope: 'company' })).body.results).toEqual([]);
    const pancakes = await items.search({ query: 'pancake batter with eggs and flour', scope: 'company', minScore: 0.55 });
    expect(pancakes.body.results.map((r: { path: string }) => r.path)).toEqual(['/docs/page.md']);
    expect(pancakes.body.results[0].content).toContain('Whisk flour');
  });
});
