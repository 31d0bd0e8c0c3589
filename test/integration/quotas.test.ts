import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { call, startTestApi, type TestApi } from '../support/api';
import { eventually, itemsClient } from '../support/items';

// Per-tenant caps (docs/api.md, "Quotas"): over a cap the surface's own envelope with 429 and Retry-After.

let api: TestApi;
let files: Server;
let filesUrl: string;
const stalled = new Set<ServerResponse>();
let closing = false;
const freeStalled = () => {
  for (const res of stalled) res.destroy();
  stalled.clear();
};
beforeAll(async () => {
  // answers its headers, then never the body: an item fetched from it stays pending
  files = createServer((_req, res) => {
    if (closing) return res.destroy();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('x');
    stalled.add(res);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  api = await startTestApi();
});
afterAll(async () => {
  freeStalled();
  files.closeAllConnections();
  await new Promise((resolve) => files.close(resolve));
  await api.close();
});
afterEach(() => {
  for (const name of [
    'SATCHEL_MAX_RUNNING_SANDBOXES',
    'SATCHEL_MAX_PENDING_FETCHES',
    'SATCHEL_MAX_MULTIPART_UPLOADS_PER_CALL',
    'SATCHEL_FETCH_ALLOWED_HOSTS',
    'SATCHEL_FETCH_MIN_BYTES_PER_SECOND',
  ]) {
    delete process.env[name];
  }
});

const retryAfter = (headers: Headers) => Number(headers.get('retry-after'));

describe('running sandboxes per tenant', () => {
  it('answers 429 with Retry-After over the cap, and a stopped sandbox frees its place', async () => {
    process.env.SATCHEL_MAX_RUNNING_SANDBOXES = '2';
    const { key } = await api.key({ surfaces: ['files'] });
    const create = () => call(api.url, 'POST', '/api/deployments', { key, body: { name: 'job', durationMinutes: 30 } });
    const first = await create();
    expect(first.status).toBe(201);
    expect((await create()).status).toBe(201);
    const over = await create();
    expect(over.status).toBe(429);
    expect(over.body).toEqual({
      success: false,
      error: { code: 'QUOTA_EXCEEDED', message: expect.stringMatching(/already has 2 running sandboxes.*stop one/) },
    });
    // the first place frees when the first sandbox expires, in at most 30 minutes
    expect(retryAfter(over.headers)).toBeGreaterThan(0);
    expect(retryAfter(over.headers)).toBeLessThanOrEqual(1800);
    // nothing was created by the refused call
    expect((await call(api.url, 'GET', '/api/deployments', { key })).body.data.deployments).toHaveLength(2);

    expect((await call(api.url, 'POST', `/api/deployments/${first.body.data.deployment.id}/stop`, { key })).status).toBe(200);
    expect((await create()).status).toBe(201);
    // another tenant has its own places
    const { key: other } = await api.key({ surfaces: ['files'] });
    expect((await call(api.url, 'POST', '/api/deployments', { key: other, body: { name: 'x' } })).status).toBe(201);
  });

  it('holds the cap under concurrent creates', async () => {
    process.env.SATCHEL_MAX_RUNNING_SANDBOXES = '3';
    const { key } = await api.key({ surfaces: ['files'] });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => call(api.url, 'POST', '/api/deployments', { key, body: { name: 'burst' } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
    expect((await call(api.url, 'GET', '/api/deployments', { key })).body.data.deployments).toHaveLength(3);
  });
});

describe('pending background fetches per tenant', () => {
  it('answers 429 with Retry-After over the cap; deleting a pending item frees its place', async () => {
    process.env.SATCHEL_MAX_PENDING_FETCHES = '2';
    process.env.SATCHEL_FETCH_ALLOWED_HOSTS = '127.0.0.1';
    process.env.SATCHEL_FETCH_MIN_BYTES_PER_SECOND = '0';
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const add = (n: number) => items.add({ scope: 'company', itemPath: `/slow/${n}.txt`, fileUrl: `${filesUrl}/${n}.txt` });
    expect((await add(1)).status).toBe(202);
    expect((await add(2)).status).toBe(202);
    const over = await add(3);
    expect(over.status).toBe(429);
    expect(over.body).toEqual({
      success: false,
      error: { code: 'QUOTA_EXCEEDED', message: expect.stringMatching(/already has 2 fileUrl items waiting/) },
    });
    expect(retryAfter(over.headers)).toBeGreaterThan(0);
    expect((await items.status({ scope: 'company', itemPath: '/slow/3.txt' })).status).toBe(404);
    // inline content is not a background fetch: still accepted
    expect((await items.add({ scope: 'company', itemPath: '/inline.txt', content: 'hello' })).status).toBe(201);

    expect((await items.remove({ scope: 'company', itemPath: '/slow/1.txt' })).status).toBeLessThan(300);
    expect((await add(3)).status).toBe(202);
    // a fetch that ends (here: the server goes away) frees its place too
    freeStalled();
    await eventually(
      async () => ((await items.status({ scope: 'company', itemPath: '/slow/2.txt' })).body.status === 'failed' ? true : undefined),
      10000,
    );
    expect((await add(4)).status).toBe(202);
    closing = true;
    freeStalled();
    for (const n of [3, 4])
      await eventually(
        async () => ((await items.status({ scope: 'company', itemPath: `/slow/${n}.txt` })).body.status === 'failed' ? true : undefined),
        10000,
      );
  });
});

describe('multipart uploads per workspace-sync presign call', () => {
  it('answers 429 in the sync envelope when one call would open more than the cap', async () => {
    process.env.SATCHEL_MAX_MULTIPART_UPLOADS_PER_CALL = '2';
    const { key } = await api.key({ agent: 'alpha', surfaces: ['sync'] });
    const file = (path: string) => ({
      path,
      operation: 'multipart',
      hash: createHash('sha256').update(path).digest('hex'),
      size: 6 * 1024 * 1024,
    });
    const over = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: ['a', 'b', 'c'].map(file) } });
    expect(over.status).toBe(429);
    expect(over.body).toEqual({
      error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/3 multipart uploads in one call; one call may open at most 2/) },
    });
    expect(retryAfter(over.headers)).toBeGreaterThan(0);
    const within = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: ['a', 'b'].map(file) } });
    expect(within.status).toBe(200);
  });
});
