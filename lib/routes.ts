/**
 * THE route table. Every list of routes derives from it: the CDK API and its functions
 * (lib/stateless-stack.ts), the local HTTP server (local/server.ts), the OpenAPI document
 * (lambdas/system/openapi-document.ts), the sample events (events/) and the SDK.
 * Adding an endpoint = one row here + one handler file exporting `handler`.
 */
import type { Contract } from '../lambdas/kit/contract';
import * as system from '../lambdas/system/contracts';
import * as registry from '../lambdas/registry/contracts';
import * as sync from '../lambdas/sync/contracts';
import type { TableId } from './data-model';

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
  /** Mounts the sandbox file system (EFS in AWS, a local folder otherwise). */
  sandbox?: boolean;
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
  method, path, handler, contract: c, auth: false, access,
});
const route = (method: Method, path: string, handler: string, c: Contract, access: Access): Route => ({
  method, path, handler, contract: c, auth: true, access,
});

const registryRead: Access = { tables: { workspaces: 'read', sessions: 'read' } };
const registryWrite: Access = { tables: { workspaces: 'write', sessions: 'read' } };

export const ROUTES: Route[] = [
  // ---- system (no auth) ----
  open('GET', '/health', 'system/health', system.health),
  open('GET', '/openapi.json', 'system/openapi', system.openapi),
  open('GET', '/docs', 'system/docs', system.docs),
  open('GET', '/docs/{asset}', 'system/docs-asset', system.docsAsset),

  // ---- workspace registry (seed 002) ----
  route('GET', '/api/workspaces', 'registry/list-workspaces', registry.listWorkspaces, registryRead),
  route('POST', '/api/workspaces', 'registry/create-workspace', registry.createWorkspace, registryWrite),
  route('POST', '/api/workspaces/resolve', 'registry/resolve-workspace', registry.resolveWorkspace, registryWrite),
  route('GET', '/api/workspaces/{id}', 'registry/get-workspace', registry.getWorkspace, registryRead),
  route('PATCH', '/api/workspaces/{id}', 'registry/update-workspace', registry.updateWorkspace, registryWrite),
  route('DELETE', '/api/workspaces/{id}', 'registry/delete-workspace', registry.deleteWorkspace, registryWrite),
  // registry: agents, skills, providers, sessions (beyond the seed) — rows added by the registry work

  // ---- workspace sync (seed 000) ----
  route('POST', '/agent/sync/register', 'sync/register', sync.register, { tables: { manifests: 'write' } }),
  route('GET', '/agent/sync/manifest', 'sync/get-manifest', sync.getManifest, { tables: { manifests: 'read' } }),
  route('POST', '/agent/sync/presign', 'sync/presign', sync.presign, { tables: { manifests: 'read' }, bucket: 'write' }),
  route('POST', '/agent/sync/confirm', 'sync/confirm', sync.confirm, { tables: { manifests: 'write' }, bucket: 'read' }),
  route('POST', '/agent/sync/multipart/complete', 'sync/complete-multipart', sync.completeMultipart, { bucket: 'write' }),
  route('POST', '/agent/sync/reconstruct', 'sync/reconstruct', sync.reconstruct, { tables: { manifests: 'read' }, bucket: 'read' }),
  route('GET', '/agent/sync/files', 'sync/list-files', sync.listFiles, { tables: { manifests: 'read' } }),
  route('DELETE', '/agent/sync/files/{filePath+}', 'sync/delete-file', sync.deleteFile, { tables: { manifests: 'write' }, bucket: 'write' }),
  route('GET', '/agent/sync/stats', 'sync/get-stats', sync.getStats, { tables: { manifests: 'read' } }),
  route('GET', '/agent/sync/sessions', 'sync/list-sessions', sync.listSessions, { tables: { manifests: 'read' } }),
  route('GET', '/agent/sync/sessions/{sessionId}', 'sync/get-session', sync.getSession, { tables: { manifests: 'read' }, bucket: 'read' }),

  // ---- memory sync (seed 001) ----

  // ---- scoped items + vector search (seed 003) ----

  // ---- deployment files + sandboxes (seed 004) ----
];


/** Stable name of a route's function: `registry/get-workspace` -> `RegistryGetWorkspace`. */
export const functionName = (r: Route): string =>
  r.handler.split(/[/-]/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');

/** The file in events/ holding the route's sample event. */
export const eventFile = (r: Route): string => `events/${r.handler.replace('/', '.')}.json`;
