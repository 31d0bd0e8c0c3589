import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, startTestApi, type TestApi } from '../../support/api';
import {
  connectHttp,
  exerciseRemoteTools,
  expectNothingOf,
  fixtures,
  ok,
  refused,
  REMOTE_TOOL_NAMES,
  type Fixtures,
} from '../../support/mcp';
import { expectContractSchemas } from '../../support/mcp-schemas';

/** `POST /mcp` through the local gateway (the real authorizer, then the handler), with the official MCP client. */

let api: TestApi;
let first: Client;
let firstTenant: Fixtures;
const clients: Client[] = [];

const http = async (key: string) => {
  const client = await connectHttp(api.url, key);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  api = await startTestApi();
  // a key bound to agent coder: the key's agent applies to every tool call
  const { key } = await api.key({ agent: 'coder' });
  firstTenant = await fixtures(api.url, key);
  first = await http(key);
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await api.close();
});

it("initializes and lists the API tools (no workspace sync: the agent's disk is not here) with the contracts' schemas", async () => {
  expect(first.getServerVersion()).toMatchObject({ name: 'satchel' });
  const { tools } = await first.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual([...REMOTE_TOOL_NAMES].sort());
  for (const t of tools) expect(t.description?.length).toBeGreaterThan(100);
  expectContractSchemas(tools);
});

it('every tool once with valid arguments and once with an invalid one', async () => {
  await exerciseRemoteTools(first, firstTenant, 'coder');
});

it("a second tenant sees none of the first one's data through any tool", async () => {
  const { key } = await api.key();
  await expectNothingOf(await http(key), firstTenant, 'coder');
});

it('an agent-bound key acts for its own agent only; a key without a surface gets FORBIDDEN tool errors', async () => {
  const { key } = await api.key({ tenant: (await api.key()).tenant, agent: 'coder', surfaces: ['items'] });
  const bound = await http(key);
  await ok(bound, 'add_item', { itemPath: '/own.md', content: 'mine' });
  expect(await refused(bound, 'get_item', { itemPath: '/own.md', scopeId: 'someone-else' })).toMatch(/^ITEM_NOT_FOUND: /);
  expect(await refused(bound, 'list_items', { scopeId: 'someone-else' })).toMatch(/NOT_FOUND/);
  expect(await refused(bound, 'memory_status', {})).toMatch(/^FORBIDDEN: .*memory/);
  expect(await refused(bound, 'resolve_workspace', { path: '/home/x' })).toMatch(/^FORBIDDEN: .*registry/);
  expect(await refused(bound, 'list_files', { deploymentId: firstTenant.deploymentId })).toMatch(/^FORBIDDEN: .*files/);
});

describe('the endpoint', () => {
  const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };

  it('is described in the OpenAPI document, behind the API key', async () => {
    const doc = (await call(api.url, 'GET', '/openapi.json')).body;
    expect(doc.paths['/mcp'].post).toMatchObject({ operationId: 'mcpServe', security: [{ apiKey: [] }], tags: ['mcp'] });
    expect(doc.paths['/mcp'].post.requestBody.content['application/json'].schema.required).toEqual(['jsonrpc']);
    expect(doc.paths['/mcp'].get.responses).toHaveProperty('401');
  });

  it('without a key: 401, a wrong key: 403, before any tool runs', async () => {
    expect((await call(api.url, 'POST', '/mcp', { body: list })).status).toBe(401);
    expect((await call(api.url, 'POST', '/mcp', { body: list, key: 'sk-not-a-key' })).status).toBe(403);
    await expect(connectHttp(api.url)).rejects.toThrow(/401|Unauthorized/i);
  });

  it('answers a single request in JSON, without a session, even to a client that accepts only JSON', async () => {
    const { key } = await api.key();
    const res = await call(api.url, 'POST', '/mcp', { key, body: list, headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: 7, result: { tools: expect.any(Array) } });
    // a tool call needs no initialize first: every request stands alone
    const called = await call(api.url, 'POST', '/mcp', {
      key,
      body: { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'list_items', arguments: { scope: 'company' } } },
    });
    expect(called.body).toMatchObject({ id: 8, result: { structuredContent: { items: [] }, content: [{ type: 'text' }] } });
  });

  it('refuses what is not JSON-RPC with a JSON-RPC error and a 4xx, never a 5xx', async () => {
    const { key } = await api.key();
    const broken = await call(api.url, 'POST', '/mcp', { key, body: '{"jsonrpc": "2.0", ' });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: expect.any(Number), message: expect.stringMatching(/JSON/) },
    });
    const notRpc = await call(api.url, 'POST', '/mcp', { key, body: { hello: 'world' } });
    expect(notRpc.status).toBe(400);
    expect(notRpc.body).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringMatching(/jsonrpc/) } });
    const unknownTool = await call(api.url, 'POST', '/mcp', {
      key,
      body: { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'format_disk', arguments: {} } },
    });
    expect(unknownTool.status).toBeLessThan(500);
    expect(JSON.stringify(unknownTool.body)).toMatch(/format_disk/);
    const stream = await call(api.url, 'GET', '/mcp', { key });
    expect(stream.status).toBe(405);
    expect(stream.headers.get('allow')).toBe('POST');
  });
});
