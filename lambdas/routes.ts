/**
 * THE route table. Every list of routes derives from it: the CDK API and its functions
 * (lib/stateless-stack.ts), the local HTTP server (local/server.ts), the OpenAPI document
 * (lambdas/system/service/openapi-document.ts), the sample events (events/) and the SDK.
 * Adding an endpoint = one row here + one handler file exporting `handler`.
 * Plain data owned by the runtime: lib/ (CDK) imports it, nothing here imports lib/.
 */
import type { Contract } from './contracts/contract';
import * as system from './contracts/system';
import * as registry from './contracts/registry';
import * as files from './contracts/files';
import * as items from './contracts/items';
import * as mcp from './contracts/mcp';
import { MCP_TARGETS } from './mcp/service/targets';
import * as memory from './contracts/memory';
import * as sync from './contracts/sync';
import type { TableId } from './kit/data-model';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type AccessLevel = 'read' | 'write';

/** What a function may touch; the stack grants exactly this (least privilege). */
export interface Access {
  tables?: Partial<Record<TableId, AccessLevel>>;
  bucket?: AccessLevel;
  /** The vector index (OpenSearch k-NN in AWS, the embedded index locally). */
  search?: AccessLevel;
  /** Calls the embedder (Bedrock in AWS). */
  embed?: boolean;
  /** Mounts the sandbox file system (EFS in AWS, a local folder otherwise); starts and stops sandbox tasks when the launcher is on. */
  sandbox?: boolean;
  /** Stops sandbox tasks when the launcher is on (without mounting the file system). */
  launcher?: boolean;
  /**
   * Hands requests to these routes' handlers (handler modules): in AWS it may invoke their functions and
   * nothing else, each doing its work with its own grants; locally they run in process.
   */
  invokes?: string[];
}

export interface Route {
  method: Method;
  /** API Gateway path template: `{name}` one segment, `{name+}` the rest of the path. */
  path: string;
  /** Module under lambdas/, without extension; it exports `handler`. */
  handler: string;
  contract: Contract;
  /** false: served without the authorizer. */
  auth: boolean;
  access: Access;
}

const open = (method: Method, path: string, handler: string, c: Contract, access: Access = {}): Route => ({
  method,
  path,
  handler,
  contract: c,
  auth: false,
  access,
});
const route = (method: Method, path: string, handler: string, c: Contract, access: Access): Route => ({
  method,
  path,
  handler,
  contract: c,
  auth: true,
  access,
});

// registry: each route gets exactly the tables it touches
const workspacesRead: Access = { tables: { workspaces: 'read' } };
const workspacesWrite: Access = { tables: { workspaces: 'write' } };
const registryRead: Access = { tables: { workspaces: 'read', sessions: 'read' } };
/** Session writes also move the workspace's open-session counter; deleting a workspace removes its sessions. */
const registryWrite: Access = { tables: { workspaces: 'write', sessions: 'write' } };
const itemsRead: Access = { tables: { manifests: 'read' }, bucket: 'read' };
/** Writes also index (embed + vector index) and remove replaced generations' index documents. */
const itemsWrite: Access = { tables: { manifests: 'write' }, bucket: 'write', search: 'write', embed: true };
const memoryRead: Access = { tables: { syncRecords: 'read' } };
const memoryWrite: Access = { tables: { syncRecords: 'write' } };

export const ROUTES: Route[] = [
  // ---- system (no auth) ----
  open('GET', '/health', 'system/get-health', system.health),
  open('GET', '/openapi.json', 'system/get-openapi', system.openapi),
  open('GET', '/docs', 'system/get-docs', system.docs),
  open('GET', '/docs/{asset}', 'system/get-docs-asset', system.docsAsset),

  // ---- workspace registry (seed 002) ----
  route('GET', '/api/workspaces', 'registry/list-workspaces', registry.listWorkspaces, workspacesRead),
  route('POST', '/api/workspaces', 'registry/create-workspace', registry.createWorkspace, workspacesWrite),
  route('POST', '/api/workspaces/resolve', 'registry/resolve-workspace', registry.resolveWorkspace, workspacesWrite),
  route('GET', '/api/workspaces/{id}', 'registry/get-workspace', registry.getWorkspace, registryRead),
  route('PATCH', '/api/workspaces/{id}', 'registry/update-workspace', registry.updateWorkspace, workspacesWrite),
  route('DELETE', '/api/workspaces/{id}', 'registry/delete-workspace', registry.deleteWorkspace, registryWrite),
  // registry: agents, skills, providers, sessions (beyond the seed)
  route('PUT', '/api/workspaces/{id}/agents/{name}', 'registry/put-agent', registry.putAgent, workspacesWrite),
  route('DELETE', '/api/workspaces/{id}/agents/{name}', 'registry/delete-agent', registry.deleteAgent, workspacesWrite),
  route('PUT', '/api/workspaces/{id}/skills/{name}', 'registry/put-skill', registry.putSkill, workspacesWrite),
  route('DELETE', '/api/workspaces/{id}/skills/{name}', 'registry/delete-skill', registry.deleteSkill, workspacesWrite),
  route('PUT', '/api/workspaces/{id}/providers/{name}', 'registry/put-provider', registry.putProvider, workspacesWrite),
  route('DELETE', '/api/workspaces/{id}/providers/{name}', 'registry/delete-provider', registry.deleteProvider, workspacesWrite),
  route('GET', '/api/workspaces/{id}/sessions', 'registry/list-sessions', registry.listSessions, registryRead),
  route('POST', '/api/workspaces/{id}/sessions', 'registry/create-session', registry.createSession, registryWrite),
  route('PATCH', '/api/workspaces/{id}/sessions/{sessionId}', 'registry/update-session', registry.updateSession, registryWrite),

  // ---- workspace sync (seed 000) ----
  route('POST', '/agent/sync/register', 'sync/register-agent', sync.register, { tables: { manifests: 'write' } }),
  route('GET', '/agent/sync/manifest', 'sync/get-manifest', sync.getManifest, { tables: { manifests: 'read' } }),
  route('POST', '/agent/sync/presign', 'sync/presign-urls', sync.presign, { tables: { manifests: 'read' }, bucket: 'write' }),
  route('POST', '/agent/sync/confirm', 'sync/confirm-uploads', sync.confirm, { tables: { manifests: 'write' }, bucket: 'write' }),
  route('POST', '/agent/sync/multipart/complete', 'sync/complete-multipart', sync.completeMultipart, { bucket: 'write' }),
  route('POST', '/agent/sync/reconstruct', 'sync/reconstruct-workspace', sync.reconstruct, {
    tables: { manifests: 'read' },
    bucket: 'read',
  }),
  route('GET', '/agent/sync/files', 'sync/list-files', sync.listFiles, { tables: { manifests: 'read' } }),
  route('DELETE', '/agent/sync/files/{filePath+}', 'sync/delete-file', sync.deleteFile, {
    tables: { manifests: 'write' },
    bucket: 'write',
  }),
  route('GET', '/agent/sync/stats', 'sync/get-stats', sync.getStats, { tables: { manifests: 'read' } }),
  route('GET', '/agent/sync/sessions', 'sync/list-sessions', sync.listSessions, { tables: { manifests: 'read' } }),
  route('GET', '/agent/sync/sessions/{sessionId}', 'sync/get-session', sync.getSession, { tables: { manifests: 'read' }, bucket: 'read' }),

  // ---- memory sync (seed 001) ----
  route('GET', '/sync/status', 'memory/get-status', memory.syncStatus, memoryRead),
  route('POST', '/sync/push', 'memory/push-changes', memory.syncPush, memoryWrite),
  // a pull writes too: the caller's cursor, the frontier hint, void markers for abandoned sequence numbers
  route('POST', '/sync/pull', 'memory/pull-changes', memory.syncPull, memoryWrite),
  route('POST', '/sync/full', 'memory/exchange-changes', memory.syncFull, memoryWrite),

  // ---- scoped items + vector search (seed 003) ----
  route('GET', '/api/workspace/items', 'items/list-items', items.listItems, itemsRead),
  route('GET', '/api/workspace/items/get', 'items/get-item', items.getItem, itemsRead),
  route('GET', '/api/workspace/items/status', 'items/get-item-status', items.itemStatus, { tables: { manifests: 'read' } }),
  route('POST', '/api/workspace/items', 'items/add-item', items.addItem, itemsWrite),
  // extension of seed 003: a staged upload of a large local file, added with POST /api/workspace/items
  route('POST', '/api/workspace/items/uploads', 'items/create-upload', items.createUpload, {
    tables: { manifests: 'write' },
    bucket: 'write',
  }),
  route('DELETE', '/api/workspace/items', 'items/delete-item', items.deleteItem, itemsWrite),
  route('POST', '/api/workspace/items/move', 'items/move-item', items.moveItem, itemsWrite),
  route('POST', '/api/workspace/search', 'items/search-items', items.search, {
    tables: { manifests: 'read' },
    search: 'read',
    embed: true,
  }),

  // ---- deployment files + sandboxes (seed 004) ----
  route('POST', '/api/deployments', 'files/create-deployment', files.createDeployment, { tables: { deployments: 'write' }, sandbox: true }),
  route('GET', '/api/deployments', 'files/list-deployments', files.listDeployments, { tables: { deployments: 'read' } }),
  route('GET', '/api/deployments/{id}', 'files/get-deployment', files.getDeployment, { tables: { deployments: 'read' } }),
  route('POST', '/api/deployments/{id}/stop', 'files/stop-deployment', files.stopDeployment, {
    tables: { deployments: 'write' },
    launcher: true,
  }),
  route('GET', '/api/files', 'files/list-files', files.listFiles, { tables: { deployments: 'read', manifests: 'read' } }),
  route('POST', '/api/files/presign', 'files/presign-upload', files.presignUpload, { tables: { deployments: 'read' }, bucket: 'write' }),
  route('POST', '/api/files/record', 'files/record-upload', files.recordUpload, {
    tables: { deployments: 'read', manifests: 'write' },
    bucket: 'read',
  }),
  route('GET', '/api/files/download', 'files/download-file', files.downloadFile, {
    tables: { deployments: 'read', manifests: 'read' },
    bucket: 'read',
  }),
  route('POST', '/api/deployments/{id}/files/sync', 'files/sync-files', files.syncFiles, {
    tables: { deployments: 'read', manifests: 'read' },
    bucket: 'read',
    sandbox: true,
  }),
  route('POST', '/api/deployments/{id}/files/pull', 'files/pull-files', files.pullFiles, {
    tables: { deployments: 'read', manifests: 'write' },
    bucket: 'write',
    sandbox: true,
  }),

  // ---- MCP over Streamable HTTP: tools whose calls go to the routes above with the caller's auth context ----
  route('POST', '/mcp', 'mcp/handle-messages', mcp.serve, { invokes: MCP_TARGETS }),
  route('GET', '/mcp', 'mcp/open-stream', mcp.stream, {}),
];

/**
 * Deployed names of functions whose handler file was renamed (issue 15): the function keeps its construct
 * id, so its logical id, log group and search role stay and a deploy updates it in place (docs/decisions.md).
 */
const DEPLOYED_NAMES: Record<string, string> = {
  'sync/register-agent': 'SyncRegister',
  'sync/presign-urls': 'SyncPresign',
  'sync/confirm-uploads': 'SyncConfirm',
  'sync/reconstruct-workspace': 'SyncReconstruct',
  'memory/get-status': 'MemorySyncStatus',
  'memory/push-changes': 'MemorySyncPush',
  'memory/pull-changes': 'MemorySyncPull',
  'memory/exchange-changes': 'MemorySyncFull',
  'items/search-items': 'ItemsSearch',
  'items/get-item-status': 'ItemsItemStatus',
  'items/sweep-expired-items': 'ItemsSweepExpired',
  'items/process-manifest-changes': 'ItemsOnManifestsChange',
  'system/get-health': 'SystemHealth',
  'system/get-openapi': 'SystemOpenapi',
  'system/get-docs': 'SystemDocs',
  'system/get-docs-asset': 'SystemDocsAsset',
  'mcp/handle-messages': 'McpServe',
  'mcp/open-stream': 'McpStream',
};

/** Stable name of a route's or job's function: `registry/get-workspace` -> `RegistryGetWorkspace`, unless pinned above. */
export const functionName = (r: Pick<Route, 'handler'>): string =>
  DEPLOYED_NAMES[r.handler] ??
  r.handler
    .split(/[/-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
