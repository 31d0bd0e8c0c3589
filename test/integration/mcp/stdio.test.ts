import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../../support/api';
import {
  connectStdio,
  exerciseRemoteTools,
  expectNothingOf,
  fixtures,
  ok,
  refused,
  STDIO_TOOL_NAMES,
  type Fixtures,
} from '../../support/mcp';
import { expectContractSchemas } from '../../support/mcp-schemas';

/** `satchel mcp`: the real binary, spawned by the official MCP client over stdio. */

let api: TestApi;
let work: string;
let first: Client;
let firstTenant: Fixtures;
const clients: Client[] = [];

const stdio = async (env: Record<string, string>) => {
  const client = await connectStdio({ SATCHEL_URL: api.url, XDG_CACHE_HOME: join(work, 'cache'), ...env });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-mcp-stdio-'));
  // a tenant-wide key; SATCHEL_AGENT names the agent the tools act for
  const { key } = await api.key();
  firstTenant = await fixtures(api.url, key);
  first = await stdio({ SATCHEL_API_KEY: key, SATCHEL_AGENT: 'coder' });
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

it("initializes and lists every tool with a description for a model and the contracts' schemas", async () => {
  expect(first.getServerVersion()).toMatchObject({ name: 'satchel' });
  expect(first.getServerCapabilities()?.tools).toBeDefined();
  expect(first.getInstructions()).toMatch(/search_items/);
  const { tools } = await first.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual([...STDIO_TOOL_NAMES].sort());
  for (const t of tools) {
    expect(t.name).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(t.description?.length).toBeGreaterThan(100);
    expect(t.inputSchema.type).toBe('object');
  }
  expectContractSchemas(tools);
});

it('every API tool once with valid arguments and once with an invalid one', async () => {
  await exerciseRemoteTools(first, firstTenant, 'coder');
});

it("workspace sync tools back up and restore a folder with the CLI's rules", async () => {
  const source = join(work, 'source');
  mkdirSync(join(source, 'notes'), { recursive: true });
  writeFileSync(join(source, 'MEMORY.md'), 'remember');
  writeFileSync(join(source, 'notes', 'a.txt'), 'alpha');
  mkdirSync(join(source, 'node_modules'));
  writeFileSync(join(source, 'node_modules', 'ignored.js'), 'x');

  const before = await ok(first, 'sync_status', { dir: source });
  expect(before.push).toMatchObject({ count: 2, paths: ['MEMORY.md', 'notes/a.txt'] });
  expect(await refused(first, 'sync_status', { dir: '' })).toMatch(/dir/);

  const pushed = await ok(first, 'sync_push', { dir: source });
  expect(pushed).toMatchObject({ pushed: { count: 2 }, uploadedBytes: 13 });
  expect((await ok(first, 'sync_status', { dir: source })).push.count).toBe(0);
  expect(await refused(first, 'sync_push', { dir: source, delete: 'yes' })).toMatch(/delete/);

  const target = join(work, 'restored');
  mkdirSync(target);
  writeFileSync(join(target, 'local-only.txt'), 'mine');
  expect(await ok(first, 'sync_pull', { dir: target })).toMatchObject({ downloaded: 2, removed: { count: 0 } });
  expect(readFileSync(join(target, 'notes', 'a.txt'), 'utf8')).toBe('alpha');
  expect(readFileSync(join(target, 'local-only.txt'), 'utf8')).toBe('mine');
  // the CLI's rule: delete only with a full restore
  expect(await refused(first, 'sync_pull', { dir: target, mode: 'memory', delete: true })).toMatch(/full/);
  expect(await refused(first, 'sync_pull', { dir: target, mode: 'everything' })).toMatch(/mode/);
  expect(readFileSync(join(target, 'local-only.txt'), 'utf8')).toBe('mine');

  // a local edit not pushed yet is kept and listed, never silently replaced by the backup's version
  writeFileSync(join(source, 'notes', 'a.txt'), 'alpha 2');
  await ok(first, 'sync_push', { dir: source });
  writeFileSync(join(target, 'notes', 'a.txt'), 'edited here');
  const kept = await ok(first, 'sync_pull', { dir: target });
  expect(kept).toMatchObject({ downloaded: 0, kept: [{ path: 'notes/a.txt', reason: expect.stringMatching(/overwrite: true/) }] });
  expect(readFileSync(join(target, 'notes', 'a.txt'), 'utf8')).toBe('edited here');
  expect(await ok(first, 'sync_pull', { dir: target, overwrite: true })).toMatchObject({ downloaded: 1, kept: [] });
  expect(readFileSync(join(target, 'notes', 'a.txt'), 'utf8')).toBe('alpha 2');

  // the CLI's delete safety, in tool terms: a push of an empty folder does not empty the backup without force
  const empty = join(work, 'empty');
  mkdirSync(empty);
  // (this folder never synced those files: they are held unless overwrite)
  expect(await ok(first, 'sync_push', { dir: empty, delete: true })).toMatchObject({ removed: { count: 0 }, held: [{}, {}] });
  expect(await refused(first, 'sync_push', { dir: empty, delete: true, overwrite: true })).toMatch(/every one of the 2 files.*force: true/);
  expect((await ok(first, 'sync_status', { dir: target })).pull.count).toBe(0);
  expect(await ok(first, 'sync_push', { dir: empty, delete: true, overwrite: true, force: true })).toMatchObject({ removed: { count: 2 } });
  expect(await refused(first, 'sync_push', { dir: join(work, 'missing') })).toMatch(/missing/);
});

it("a second tenant sees none of the first one's data through any tool", async () => {
  const { key } = await api.key();
  const other = await stdio({ SATCHEL_API_KEY: key });
  await expectNothingOf(other, firstTenant, 'coder');
  const empty = join(work, 'other');
  mkdirSync(empty);
  expect(await ok(other, 'sync_status', { dir: empty, agentId: 'coder' })).toMatchObject({ pull: { count: 0 } });
});

it('a missing key or an unreachable server makes tool errors, not a crashed server', async () => {
  const keyless = await stdio({ SATCHEL_API_KEY: '' });
  expect(await refused(keyless, 'list_items', {})).toMatch(/^UNAUTHORIZED: .*SATCHEL_API_KEY/);
  const { key } = await api.key({ surfaces: ['items'] });
  const itemsOnly = await stdio({ SATCHEL_API_KEY: key });
  expect(await refused(itemsOnly, 'memory_status', { agent_id: 'coder' })).toMatch(/^FORBIDDEN: .*memory/);
  const nowhere = await stdio({ SATCHEL_URL: 'http://127.0.0.1:9', SATCHEL_API_KEY: key });
  expect(await refused(nowhere, 'resolve_workspace', { path: '/x' })).toMatch(/Cannot reach/);
  // still serving
  expect((await nowhere.listTools()).tools.length).toBe(STDIO_TOOL_NAMES.length);
});
