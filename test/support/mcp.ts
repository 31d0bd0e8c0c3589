import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { join } from 'node:path';
import { createSatchelClient, type SatchelClient } from '../../client/sdk';

/** The official MCP client against `satchel mcp` (the real binary, over stdio) or `POST /mcp`. */

export const REMOTE_TOOL_NAMES = [
  'search_items',
  'add_item',
  'get_item',
  'list_items',
  'move_item',
  'delete_item',
  'memory_status',
  'memory_push',
  'memory_pull',
  'resolve_workspace',
  'get_workspace',
  'list_files',
  'sync_files_to_sandbox',
  'pull_files_from_sandbox',
];
export const STDIO_TOOL_NAMES = [...REMOTE_TOOL_NAMES, 'sync_status', 'sync_push', 'sync_pull'];

const BIN = join(__dirname, '..', '..', 'client', 'cli', 'bin.cjs');

export async function connectStdio(env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'satchel-tests', version: '1.0.0' });
  const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env: { ...inherited, ...env }, stderr: 'pipe' }),
  );
  return client;
}

export async function connectHttp(url: string, key?: string): Promise<Client> {
  const client = new Client({ name: 'satchel-tests', version: '1.0.0' });
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers } }));
  return client;
}

export const textOf = (result: CallToolResult): string => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** A call that must succeed: its structured content. */
export async function ok<T = any>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  expect(textOf(result).length).toBeGreaterThan(0);
  expect(result.structuredContent).toBeDefined();
  return result.structuredContent as T;
}

/** A call that must come back as a tool error (not a protocol error): its text. */
export async function refused(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (!result.isError) throw new Error(`${name} should have failed: ${textOf(result)}`);
  return textOf(result);
}

/** What a tenant holds before the tools are tried: a deployment with one stored file (no tool creates deployments). */
export interface Fixtures {
  sdk: SatchelClient;
  deploymentId: string;
  storagePath: string;
}

export async function fixtures(url: string, key: string): Promise<Fixtures> {
  const sdk = createSatchelClient({ baseUrl: url, apiKey: key, retries: 0 });
  const deployment = await sdk.createDeployment({ name: 'mcp', durationMinutes: 5 });
  const bytes = Buffer.from('a,b\n1,2\n');
  const file = await sdk.uploadDeploymentFile({
    deploymentId: deployment.id,
    fileName: 'data.csv',
    fileSize: bytes.length,
    mimeType: 'text/csv',
    body: bytes,
  });
  return { sdk, deploymentId: deployment.id, storagePath: file.storagePath };
}

const OPERATION = (id: string, text: string) => ({
  table: 'notes',
  record_id: id,
  operation: 'upsert',
  data: { content: text },
  local_updated_at: '2026-01-01T00:00:00.000Z',
});

/**
 * Every tool that needs only the API, once with valid arguments and once with an invalid one, as
 * the agent `agent` (bound to the key, or named by SATCHEL_AGENT). Leaves /mcp/kept.md, memory
 * record n-1 and workspace /home/mcp/project behind for the tenancy checks.
 */
export async function exerciseRemoteTools(client: Client, f: Fixtures, agent: string): Promise<void> {
  // ---- items ----
  const added = await ok(client, 'add_item', {
    itemPath: '/mcp/guide.md',
    content: 'How to authenticate users with OAuth tokens',
    scope: 'agent',
  });
  expect(added).toMatchObject({ success: true, path: '/mcp/guide.md', status: 'ready' });
  // the agent of the key or of SATCHEL_AGENT was meant
  expect((await f.sdk.listItems({ scope: 'agent', scopeId: agent })).items.map((i) => i.path)).toEqual(['/mcp/guide.md']);
  expect(await refused(client, 'add_item', { content: 'no path' })).toMatch(/itemPath/);
  expect(await refused(client, 'add_item', { itemPath: '/mcp/guide.md', content: 'again' })).toMatch(/^ITEM_EXISTS|CONFLICT|exists/i);

  const item = await ok(client, 'get_item', { itemPath: '/mcp/guide.md' });
  expect(item).toMatchObject({ path: '/mcp/guide.md', content: 'How to authenticate users with OAuth tokens', encoding: 'utf8' });
  expect(await refused(client, 'get_item', { itemPath: '/mcp/missing.md' })).toMatch(/^ITEM_NOT_FOUND: /);

  const listed = await ok(client, 'list_items', { prefix: '/mcp/' });
  expect(listed.items.map((i: { path: string }) => i.path)).toEqual(['/mcp/guide.md']);
  expect(await refused(client, 'list_items', { scope: 'galaxy' })).toMatch(/^INVALID_SCOPE: .*scope/);

  const found = await ok(client, 'search_items', { query: 'authenticate users', minScore: 0 });
  expect(found.results[0]).toMatchObject({ path: '/mcp/guide.md' });
  expect(await refused(client, 'search_items', { query: 'x', limit: 500 })).toMatch(/limit/);

  expect(await ok(client, 'move_item', { fromPath: '/mcp/guide.md', toPath: '/mcp/kept.md' })).toMatchObject({ success: true });
  expect(await refused(client, 'move_item', { toPath: '/mcp/nowhere.md' })).toMatch(/fromPath/);

  await ok(client, 'add_item', { itemPath: '/mcp/scratch.md', content: 'temporary' });
  expect(await ok(client, 'delete_item', { itemPath: '/mcp/scratch.md' })).toMatchObject({ success: true });
  expect(await refused(client, 'delete_item', { itemPath: '/mcp/scratch.md' })).toMatch(/^ITEM_NOT_FOUND: /);

  // ---- memory ----
  const pushed = await ok(client, 'memory_push', {
    operations: [OPERATION('n-1', 'remember the milk'), OPERATION('n-2', 'and the bread')],
  });
  expect(pushed).toMatchObject({ pushed: 2, failed: 0, conflicts: 0 });
  expect(await refused(client, 'memory_push', { operations: [{ ...OPERATION('n-3', 'x'), operation: 'explode' }] })).toMatch(
    /memory_push.*operations.*operation/s,
  );

  const status = await ok(client, 'memory_status', { device_id: 'laptop' });
  expect(status).toMatchObject({ agent_id: agent, remote_changes_available: 2 });
  expect(await refused(client, 'memory_status', { agent_id: '' })).toMatch(/agent_id/);

  const pulled = await ok(client, 'memory_pull', { device_id: 'laptop' });
  expect(pulled.operations.map((o: { record_id: string }) => o.record_id).sort()).toEqual(['n-1', 'n-2']);
  expect(pulled.has_more).toBe(false);
  expect(await refused(client, 'memory_pull', { limit: 0 })).toMatch(/limit/);

  // ---- registry ----
  const resolved = await ok(client, 'resolve_workspace', { path: '/home/mcp/project/src' });
  expect(resolved.workspace).toMatchObject({ root_dir: expect.stringMatching(/^\/home\/mcp\/project/) });
  expect(await refused(client, 'resolve_workspace', { path: 'relative/dir' })).toMatch(
    /^(INVALID_REQUEST|RESOURCE_NOT_FOUND): .*(absolute|path)/i,
  );
  const workspace = await ok(client, 'get_workspace', { id: resolved.workspace.id });
  expect(workspace).toMatchObject({ workspace: { id: resolved.workspace.id }, agents: [], sessions: [] });
  expect(await refused(client, 'get_workspace', { id: 'no-such-workspace' })).toMatch(/^RESOURCE_NOT_FOUND: /);

  // ---- deployment files ----
  const files = await ok(client, 'list_files', { deploymentId: f.deploymentId });
  expect(files.files).toEqual([expect.objectContaining({ fileName: 'data.csv', storagePath: f.storagePath })]);
  expect(await refused(client, 'list_files', { deploymentId: 'nope' })).toMatch(/deploymentId/);

  const synced = await ok(client, 'sync_files_to_sandbox', { deploymentId: f.deploymentId, files: [f.storagePath] });
  expect(synced).toEqual({ syncedFiles: [expect.objectContaining({ fileName: 'data.csv' })], failedFiles: [] });
  expect(await refused(client, 'sync_files_to_sandbox', { deploymentId: f.deploymentId, files: [] })).toMatch(/files/);

  const saved = await ok(client, 'pull_files_from_sandbox', { deploymentId: f.deploymentId, files: ['data.csv'] });
  expect(saved).toEqual({ pulledFiles: [expect.objectContaining({ fileName: 'data.csv' })], failedFiles: [] });
  expect(await refused(client, 'pull_files_from_sandbox', { deploymentId: 'dep_00000000000000000000', files: ['data.csv'] })).toMatch(
    /^RESOURCE_NOT_FOUND|NOT_FOUND/,
  );
}

/** A second tenant's client sees none of the first tenant's data through any tool. */
export async function expectNothingOf(other: Client, first: Fixtures, agent: string, workspaceRoot = '/home/mcp/project'): Promise<void> {
  expect((await ok(other, 'list_items', { scopeId: agent })).items).toEqual([]);
  expect((await ok(other, 'search_items', { query: 'authenticate users', scopeId: agent, minScore: 0 })).results).toEqual([]);
  expect(await refused(other, 'get_item', { itemPath: '/mcp/kept.md', scopeId: agent })).toMatch(/NOT_FOUND/);
  expect(await refused(other, 'move_item', { fromPath: '/mcp/kept.md', fromScopeId: agent, toPath: '/mine.md' })).toMatch(/NOT_FOUND/);
  expect(await refused(other, 'delete_item', { itemPath: '/mcp/kept.md', scopeId: agent })).toMatch(/NOT_FOUND/);
  expect((await ok(other, 'memory_pull', { agent_id: agent, full: true })).pulled).toBe(0);
  expect(await ok(other, 'memory_status', { agent_id: agent })).toMatchObject({ remote_changes_available: 0, last_push: null });
  expect(await refused(other, 'get_workspace', { id: workspaceRoot })).toMatch(/NOT_FOUND/);
  expect(await refused(other, 'list_files', { deploymentId: first.deploymentId })).toMatch(/NOT_FOUND/);
  expect(await refused(other, 'sync_files_to_sandbox', { deploymentId: first.deploymentId, files: [first.storagePath] })).toMatch(
    /NOT_FOUND/,
  );
  expect(await refused(other, 'pull_files_from_sandbox', { deploymentId: first.deploymentId, files: ['data.csv'] })).toMatch(/NOT_FOUND/);
  // and the first tenant's data is still there
  expect((await first.sdk.getItem({ itemPath: '/mcp/kept.md', scopeId: agent })).path).toBe('/mcp/kept.md');
}
