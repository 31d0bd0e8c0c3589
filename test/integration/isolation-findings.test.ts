import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from '../../lambdas/auth/service/keys';
import { documentClient } from '../../lambdas/kit/aws';
import { config } from '../../lambdas/kit/config';
import { BUCKET_ENV_VAR } from '../../lambdas/kit/data-model';
import { call, startTestApi, uniqueTenant, type TestApi } from '../support/api';
import { eventually, itemsClient } from '../support/items';
import { ref, registryTenant } from '../support/registry';

/** Issue 12's findings, one test each: agent-bound keys, agent ids, input that gave 5xx, the gateway. */

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-isolation-'));

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

/** `levels` objects inside each other around `leaf`, built without recursion. */
const nested = (levels: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { n: value };
  return value;
};
/** The same as raw JSON text, for depths JSON.stringify would not reach. */
const nestedJson = (levels: number): string => `${'{"n":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('agent-bound keys in the registry', () => {
  it("a key bound to beta cannot delete or patch a workspace, nor change shared skills and providers, nor read alpha's definition", async () => {
    const admin = await registryTenant(api);
    const beta = await registryTenant(api, { tenant: admin.tenant, agent: 'beta' });
    const ws = await admin.create({ root_dir: '/srv/shared', name: 'shared' });
    const alphaDef = {
      model: 'm1',
      mcp_servers: [{ name: 'db', env: { DB_PASSWORD: 'alpha-env-value' }, secret_env: { TOKEN: 'alpha-secret' } }],
    };
    expect((await admin.send('PUT', `${ref(ws.id)}/agents/alpha`, alphaDef)).status).toBe(200);
    expect((await admin.send('PUT', `${ref(ws.id)}/skills/lint`, { dir: '/skills/lint' })).status).toBe(200);
    expect((await admin.send('PUT', `${ref(ws.id)}/providers/p1`, { display_name: 'P1' })).status).toBe(200);
    expect((await admin.send('POST', `${ref(ws.id)}/sessions`, { agent_name: 'alpha', name: 'alpha-session' })).status).toBe(201);

    for (const [method, path, body] of [
      ['DELETE', ref(ws.id)],
      ['PATCH', ref(ws.id), { name: 'taken-over' }],
      ['PUT', `${ref(ws.id)}/skills/lint`, { dir: '/elsewhere' }],
      ['DELETE', `${ref(ws.id)}/skills/lint`],
      ['PUT', `${ref(ws.id)}/providers/p1`, { display_name: 'mine' }],
      ['DELETE', `${ref(ws.id)}/providers/p1`],
    ] as [string, string, unknown?][]) {
      const res = await beta.send(method, path, body);
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(res.body).toEqual({ error: expect.stringMatching(/bound to agent "beta"/) });
    }
    // another agent's definition is not found, whatever the key tries
    expect((await beta.send('PUT', `${ref(ws.id)}/agents/alpha`, { model: 'evil' })).status).toBe(404);
    expect((await beta.send('DELETE', `${ref(ws.id)}/agents/alpha`)).status).toBe(404);

    const seen = await beta.send('GET', ref(ws.id));
    expect(seen.status).toBe(200);
    expect(seen.body.workspace.name).toBe('shared');
    expect(seen.body.agents).toEqual([]);
    expect(seen.body.sessions).toEqual([]);
    expect(seen.body.skills.map((s: { name: string }) => s.name)).toEqual(['lint']);
    expect(JSON.stringify(seen.body)).not.toMatch(/alpha-env-value|alpha-secret|alpha-session|DB_PASSWORD/);

    // beta manages its own definition and sees it
    expect((await beta.send('PUT', `${ref(ws.id)}/agents/beta`, { model: 'm2' })).status).toBe(200);
    expect((await beta.send('GET', ref(ws.id))).body.agents.map((a: { name: string }) => a.name)).toEqual(['beta']);

    // nothing changed for the tenant-wide key
    const full = await admin.send('GET', ref(ws.id));
    expect(full.body.workspace.name).toBe('shared');
    expect(full.body.agents.map((a: { name: string }) => a.name)).toEqual(['alpha', 'beta']);
    expect(full.body.agents[0].mcp_servers[0].env).toEqual({ DB_PASSWORD: 'alpha-env-value' });
    expect(full.body.sessions).toHaveLength(1);
    expect((await admin.send('DELETE', ref(ws.id))).status).toBe(409); // alpha's session is still open
  });
});

describe('agent ids are one string on every surface', () => {
  const keys = () => new KeyStore(documentClient(), config.tableName('apiKeys'));

  it('key creation refuses ids that would alias another agent or are not canonical', async () => {
    await expect(keys().create({ tenant: uniqueTenant(), agent: 'agt_alpha' })).rejects.toThrow(/must not start with "agt_".*use "alpha"/);
    await expect(keys().create({ tenant: uniqueTenant(), agent: 'Alpha' })).rejects.toThrow(/must be lowercase: use "alpha"/);
    await expect(keys().create({ tenant: uniqueTenant(), agent: 'al pha' })).rejects.toThrow(/lowercase letters, digits/);
    await expect(keys().create({ tenant: uniqueTenant(), agent: 'alpha.v2_x-1' })).resolves.toBeDefined();
  });

  it("sync takes the agent id as it is: alpha's files are alpha's, agt_alpha is refused, the wire shows alpha", async () => {
    const { key: alpha, tenant } = await api.key({ agent: 'alpha', surfaces: ['sync'] });
    const { key: tenantWide } = await api.key({ tenant, surfaces: ['sync'] });
    const registered = await call(api.url, 'POST', '/agent/sync/register', { key: alpha, body: { displayName: 'A' } });
    expect(registered.status).toBe(200);
    expect(registered.body.data.agent.agentId).toBe('alpha');
    // the tenant-wide key reaches the same agent by the same id, and no other spelling reaches it
    const asAlpha = await call(api.url, 'GET', '/agent/sync/stats', { key: tenantWide, headers: { 'x-satchel-agent': 'alpha' } });
    expect(asAlpha.body.data).toMatchObject({ agentId: 'alpha' });
    for (const alias of ['agt_alpha', 'Alpha']) {
      const res = await call(api.url, 'GET', '/agent/sync/manifest', { key: tenantWide, headers: { 'x-satchel-agent': alias } });
      expect([alias, res.status]).toEqual([alias, 400]);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    // the key bound to alpha names itself under either spelling only as alpha
    expect((await call(api.url, 'GET', '/agent/sync/manifest?agentId=alpha', { key: alpha })).status).toBe(200);
    expect((await call(api.url, 'GET', '/agent/sync/manifest?agentId=agt_alpha', { key: alpha })).status).toBe(400);
  });
});

describe('input that answered 5xx', () => {
  it('item metadata nested deeper than DynamoDB stores: 400 naming the field (40 and 10,000 levels)', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const res = await items.add({ scope: 'company', itemPath: '/deep.md', content: 'x', metadata: nested(40) as Record<string, unknown> });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/^body\.metadata: .*31 levels/) },
    });
    const raw = `{"scope":"company","itemPath":"/deeper.md","content":"x","metadata":${nestedJson(10_000)}}`;
    const deeper = await call(api.url, 'POST', '/api/workspace/items', { key, body: raw });
    expect(deeper.status).toBe(400);
    expect(deeper.body.error.message).toMatch(/^body\.metadata: /);
    // what DynamoDB does store is still accepted
    expect(
      (await items.add({ scope: 'company', itemPath: '/ok.md', content: 'x', metadata: nested(30) as Record<string, unknown> })).status,
    ).toBe(201);
    expect((await items.list({ scope: 'company' })).body.items.map((i: { path: string }) => i.path)).toEqual(['/ok.md']);
  });

  it('any JSON body nested deeper than 64 levels: 400 in the surface envelope before any schema or library sees it', async () => {
    const { key } = await api.key();
    const mcp = await call(api.url, 'POST', '/mcp', {
      key,
      body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":${nestedJson(10_000)}}`,
      headers: { accept: 'application/json, text/event-stream' },
    });
    expect(mcp.status).toBe(400);
    expect(JSON.stringify(mcp.body)).toMatch(/body\.params: nests objects and arrays more than 64 levels deep/);
    const registry = await call(api.url, 'POST', '/api/workspaces', {
      key,
      body: `{"root_dir":"/x","add_dirs":${'['.repeat(100)}${']'.repeat(100)}}`,
    });
    expect(registry).toMatchObject({ status: 400, body: { error: 'body.add_dirs: nests objects and arrays more than 64 levels deep' } });
  });

  it('item metadata with numbers DynamoDB cannot hold or empty keys: 400', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    for (const metadata of ['{"big":9007199254740993}', '{"tiny":1e-200}', '{"a":{"":1}}']) {
      const res = await call(api.url, 'POST', '/api/workspace/items', {
        key,
        body: `{"scope":"company","itemPath":"/n.md","content":"x","metadata":${metadata}}`,
      });
      expect([metadata, res.status]).toEqual([metadata, 400]);
      expect(res.body.error.message).toMatch(/^body\.metadata: /);
    }
  });

  it('session provider_state_json nested too deep and activity numbers out of range: 400, nothing written', async () => {
    const admin = await registryTenant(api);
    const ws = await admin.create({ root_dir: '/srv/s' });
    const sessions = `${ref(ws.id)}/sessions`;
    const deep = await admin.send('POST', sessions, { sandbox: { provider_state_json: nested(40) } });
    expect(deep.status).toBe(400);
    expect(deep.body.error).toMatch(/^body\.sandbox\.provider_state_json: /);
    const deeper = await call(api.url, 'POST', sessions, {
      key: admin.key,
      body: `{"sandbox":{"provider_state_json":${nestedJson(10_000)}}}`,
    });
    expect(deeper.status).toBe(400);
    for (const number of ['9007199254740993', '1e300', '1e-200', '-0.5']) {
      const res = await call(api.url, 'POST', sessions, { key: admin.key, body: `{"activity":{"elapsed_seconds":${number}}}` });
      expect([number, res.status]).toEqual([number, 400]);
      expect(res.body.error).toMatch(/^body\.activity\.elapsed_seconds: /);
    }
    expect((await admin.send('GET', sessions)).body.sessions).toEqual([]);
    const created = await admin.send('POST', sessions, { activity: { idle_seconds: 1.5 }, sandbox: { provider_state_json: nested(29) } });
    expect(created.status).toBe(201);
    const patched = await admin.send('PATCH', `${sessions}/${created.body.session.id}`, { activity: { idle_seconds: 2 ** 60 } });
    expect(patched.status).toBe(400);
  });

  it('lone surrogates in file names: 400 from presign and record', async () => {
    const { key } = await api.key({ surfaces: ['files'] });
    const dep = await call(api.url, 'POST', '/api/deployments', { key, body: { name: 'd' } });
    expect(dep.status).toBe(201);
    const deploymentId = dep.body.data.deployment.id;
    for (const fileName of ['a\ud800.txt', '\udc00', 'dir/\ud83d/x']) {
      const presign = await call(api.url, 'POST', '/api/files/presign', {
        key,
        body: { deploymentId, fileName, fileSize: 1, mimeType: 'text/plain' },
      });
      expect(presign.status).toBe(400);
      expect(presign.body).toEqual({
        success: false,
        error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/^body\.fileName: .*lone surrogate/) },
      });
      const record = await call(api.url, 'POST', '/api/files/record', {
        key,
        body: { deploymentId, fileName, fileSize: 1, mimeType: 'text/plain', storagePath: `deployments/${deploymentId}/${fileName}` },
      });
      expect(record.status).toBe(400);
    }
    // a pair of surrogates is one character and fine
    expect(
      (
        await call(api.url, 'POST', '/api/files/presign', {
          key,
          body: { deploymentId, fileName: '\ud83d\ude00.txt', fileSize: 1, mimeType: 'text/plain' },
        })
      ).status,
    ).toBe(200);
  });

  it('an item list cursor outside the listed prefix: 400', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    for (const p of ['/a/1.md', '/a/2.md', '/b/1.md', '/b/2.md'])
      expect((await items.add({ scope: 'company', itemPath: p, content: p })).status).toBe(201);
    const page = await items.list({ scope: 'company', prefix: '/b/', limit: 1 });
    expect(page.body.nextCursor).toBeDefined();
    const elsewhere = await items.list({ scope: 'company', prefix: '/a/', cursor: page.body.nextCursor });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.code).toBe('INVALID_REQUEST');
    const forged = await items.list({ scope: 'company', prefix: '/a/', cursor: Buffer.from('/zzz').toString('base64url') });
    expect(forged.status).toBe(400);
    expect(
      (await items.list({ scope: 'company', prefix: '/b/', cursor: page.body.nextCursor })).body.items.map((i: { path: string }) => i.path),
    ).toEqual(['/b/2.md']);
  });
});

describe('a background fetch that fails on our side', () => {
  let files: Server;
  let filesUrl: string;
  const body = 'background '.repeat(500);
  beforeAll(async () => {
    files = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.3', resolve));
    filesUrl = `http://127.0.0.3:${(files.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => files.close(() => resolve())));

  it('stores and answers a safe message, not the AWS error', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const bucket = process.env[BUCKET_ENV_VAR];
    Object.assign(process.env, { SATCHEL_FETCH_ALLOWED_HOSTS: '127.0.0.3', SATCHEL_FETCH_SYNC_MAX_BYTES: '100' });
    try {
      // the add itself touches only the table; the background upload then meets a bucket that does not exist
      process.env[BUCKET_ENV_VAR] = 'satchel-no-such-bucket';
      expect((await items.add({ scope: 'company', itemPath: '/bg.txt', fileUrl: `${filesUrl}/bg.txt` })).status).toBe(202);
      const failed = await eventually(async () => {
        const s = await items.status({ scope: 'company', itemPath: '/bg.txt' });
        return s.body.status === 'failed' ? s.body : undefined;
      });
      expect(failed.error).toBe('The item could not be stored or indexed (an internal error); add it again');
    } finally {
      process.env[BUCKET_ENV_VAR] = bucket;
      delete process.env.SATCHEL_FETCH_ALLOWED_HOSTS;
      delete process.env.SATCHEL_FETCH_SYNC_MAX_BYTES;
    }
  });
});

describe('the local gateway', () => {
  /** Sends raw bytes and answers the raw response text. */
  const raw = (request: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(api.url);
      const socket = connect(Number(port), hostname, () => socket.write(request));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

  it('answers an oversized body with 413 and keeps the connection usable for the next request', async () => {
    const { key } = await api.key({ surfaces: ['registry'] });
    const big = `{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}`;
    for (let round = 0; round < 2; round++) {
      const refused = await call(api.url, 'POST', '/api/workspaces', { key, body: big });
      expect(refused).toMatchObject({ status: 413, body: { message: 'Request Entity Too Large' } });
      const next = await fetch(`${api.url}/api/workspaces`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(10_000),
      });
      expect(next.status).toBe(200);
    }
  });

  it.each([
    ['a request line with spaces in the target', 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n'],
    ['a header without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'],
  ])('answers %s with the JSON envelope', async (_what, request) => {
    const response = await raw(request);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toEqual({ message: 'Bad Request' });
  });
});
