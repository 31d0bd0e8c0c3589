import { randomBytes } from 'node:crypto';
import { requireTenantWide, type AuthContext } from '../../kit/auth-context';
import { badRequest, conflict, notFound } from '../../kit/errors';
import { hasControlCharacter } from '../../shared/path-rules';
import { logger } from '../../kit/observability';
import type { CreateWorkspaceInput, UpdateWorkspaceInput, Workspace } from '../../contracts/registry';
import { baseName, normaliseAddDirs, normalisePath, selfAndAncestors } from './paths';
import {
  batchDelete,
  batchGet,
  busy,
  getItem,
  keys,
  now,
  OPTIMISTIC_ATTEMPTS,
  publicFields,
  queryAll,
  tables,
  transact,
  type Item,
  type TransactItem,
} from './store';

/** A workspace as stored: the wire fields plus what guards concurrent writes. */
export interface StoredWorkspace extends Workspace {
  version: number;
  open_sessions?: number;
}

const newWorkspaceId = (): string => `ws_${randomBytes(12).toString('base64url')}`;
const asStored = (item: Item): StoredWorkspace => ({
  ...publicFields<Workspace>(item),
  version: Number(item.version ?? 0),
  open_sessions: Number(item.open_sessions ?? 0),
});
export const toWorkspace = (stored: StoredWorkspace): Workspace => publicFields<Workspace>(stored as unknown as Item);

const MAX_DEFAULT_NAME = 120;
/** Racing creates of one base name each take the next free suffix; every round one of them wins. */
const NAMING_ATTEMPTS = 32;

function checkName(name: string): string {
  if (name.trim() === '') throw badRequest('name must not be empty');
  if (name.includes('/')) throw badRequest(`name must not contain "/", got "${name}"`);
  if (hasControlCharacter(name)) throw badRequest('name must not contain control characters');
  return name;
}

/** `""` clears an optional text field; undefined leaves it alone. */
const cleared = (value: string | undefined) => (value === '' ? undefined : value);

export async function listWorkspaces(tenant: string): Promise<Workspace[]> {
  const items = await queryAll(tables.workspaces(), `T#${tenant}`, 'WS#');
  return items.map((item) => toWorkspace(asStored(item))).sort((a, b) => a.name.localeCompare(b.name));
}

async function workspaceById(tenant: string, id: string): Promise<StoredWorkspace | undefined> {
  const item = await getItem(tables.workspaces(), keys.workspace(tenant, id));
  return item && asStored(item);
}

async function guardTarget(key: { pk: string; sk: string }): Promise<string | undefined> {
  return (await getItem(tables.workspaces(), key))?.workspace_id as string | undefined;
}

/** By id, by absolute root path (anything starting with `/`), or by name. */
export async function findWorkspace(tenant: string, ref: string): Promise<StoredWorkspace | undefined> {
  if (ref.startsWith('/')) {
    const id = await guardTarget(keys.rootGuard(tenant, normalisePath(ref, 'path')));
    return id === undefined ? undefined : workspaceById(tenant, id);
  }
  const [byId, nameTarget] = await Promise.all([workspaceById(tenant, ref), guardTarget(keys.nameGuard(tenant, ref))]);
  if (byId) return byId;
  return nameTarget === undefined ? undefined : workspaceById(tenant, nameTarget);
}

export const workspaceNotFound = (ref: string) => notFound(`Workspace "${ref}" not found`);

export async function requireWorkspace(tenant: string, ref: string): Promise<StoredWorkspace> {
  const workspace = await findWorkspace(tenant, ref);
  if (!workspace) throw workspaceNotFound(ref);
  return workspace;
}

/** The lowest free name of `base`, `base-2`, `base-3`, … at the time of reading. */
async function freeName(tenant: string, base: string): Promise<string> {
  const taken = new Set(
    (await queryAll(tables.workspaces(), `T#${tenant}`, `NAME#${base}`)).map((item) => (item.sk as string).slice('NAME#'.length)),
  );
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

type InsertOutcome = 'inserted' | 'name-taken' | 'root-taken';

/** One transaction: the workspace and both guards appear together or not at all. */
async function insert(tenant: string, workspace: Workspace): Promise<InsertOutcome> {
  const table = tables.workspaces();
  const absent = 'attribute_not_exists(pk)';
  const failed = await transact([
    {
      Put: {
        TableName: table,
        Item: { ...keys.workspace(tenant, workspace.id), ...workspace, version: 0, open_sessions: 0 },
        ConditionExpression: absent,
      },
    },
    {
      Put: {
        TableName: table,
        Item: { ...keys.nameGuard(tenant, workspace.name), workspace_id: workspace.id },
        ConditionExpression: absent,
      },
    },
    {
      Put: {
        TableName: table,
        Item: { ...keys.rootGuard(tenant, workspace.root_dir), workspace_id: workspace.id },
        ConditionExpression: absent,
      },
    },
  ]);
  if (failed.includes(2)) return 'root-taken';
  if (failed.includes(1)) return 'name-taken';
  if (failed.length) throw new Error(`workspace id ${workspace.id} collided`);
  return 'inserted';
}

/** Registers a workspace; answers `undefined` when its root_dir is registered already. */
async function register(tenant: string, input: CreateWorkspaceInput): Promise<Workspace | undefined> {
  const root = normalisePath(input.root_dir, 'root_dir');
  const add_dirs = normaliseAddDirs(input.add_dirs ?? [], root);
  const explicitName = input.name === undefined ? undefined : checkName(input.name);
  const defaultBase = (baseName(root) || 'root').slice(0, MAX_DEFAULT_NAME);
  for (let attempt = 0; attempt < NAMING_ATTEMPTS; attempt++) {
    const timestamp = now();
    const workspace: Workspace = {
      id: newWorkspaceId(),
      name: explicitName ?? (await freeName(tenant, defaultBase)),
      root_dir: root,
      add_dirs,
      default_agent: cleared(input.default_agent),
      sandbox_ref: cleared(input.sandbox_ref),
      created_at: timestamp,
      updated_at: timestamp,
    };
    const outcome = await insert(tenant, workspace);
    if (outcome === 'inserted') return toWorkspace({ ...workspace, version: 0 });
    if (outcome === 'root-taken') return undefined;
    if (explicitName !== undefined) throw conflict(`A workspace named "${explicitName}" already exists`);
    // another create took the default name between reading and writing: pick the next one
  }
  throw busy();
}

export async function createWorkspace(tenant: string, input: CreateWorkspaceInput): Promise<Workspace> {
  const created = await register(tenant, input);
  if (!created) throw conflict(`A workspace with root_dir "${normalisePath(input.root_dir, 'root_dir')}" already exists`);
  return created;
}

/** The workspace whose root is `path` or the deepest root above it. */
async function workspaceHolding(tenant: string, path: string): Promise<StoredWorkspace | undefined> {
  const candidates = selfAndAncestors(path).map((dir) => ({ dir, key: keys.rootGuard(tenant, dir) }));
  const guards = await batchGet(
    tables.workspaces(),
    candidates.map((c) => c.key),
  );
  const bySk = new Map(guards.map((guard) => [guard.sk as string, guard.workspace_id as string]));
  for (const candidate of candidates) {
    const id = bySk.get(candidate.key.sk);
    const workspace = id === undefined ? undefined : await workspaceById(tenant, id);
    if (workspace) return workspace;
  }
  return undefined;
}

/**
 * The workspace holding `path`, or a new one rooted at it. Concurrent resolves of one path
 * meet at the root guard: one insert wins, the others read the winner.
 */
export async function resolveWorkspace(tenant: string, rawPath: string): Promise<Workspace> {
  const path = normalisePath(rawPath, 'path');
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const existing = await workspaceHolding(tenant, path);
    if (existing) return toWorkspace(existing);
    const created = await register(tenant, { root_dir: path });
    if (created) return created;
  }
  throw busy();
}

export async function updateWorkspace(auth: AuthContext, ref: string, input: UpdateWorkspaceInput): Promise<Workspace> {
  requireTenantWide(auth, 'change a workspace');
  const { tenant } = auth;
  const newName = input.name === undefined ? undefined : checkName(input.name);
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const current = await requireWorkspace(tenant, ref);
    const next: StoredWorkspace = {
      ...current,
      name: newName ?? current.name,
      add_dirs: input.add_dirs === undefined ? current.add_dirs : normaliseAddDirs(input.add_dirs, current.root_dir),
      default_agent: input.default_agent === undefined ? current.default_agent : cleared(input.default_agent),
      sandbox_ref: input.sandbox_ref === undefined ? current.sandbox_ref : cleared(input.sandbox_ref),
      updated_at: now(),
      version: current.version + 1,
    };
    const table = tables.workspaces();
    const renamed = next.name !== current.name;
    const { open_sessions: _counter, ...written } = next;
    const items: TransactItem[] = [
      {
        Update: {
          TableName: table,
          Key: keys.workspace(tenant, current.id),
          UpdateExpression: `SET #name = :name, add_dirs = :dirs, updated_at = :at, version = :next${optionalSet(written)}`,
          ConditionExpression: 'version = :version',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: {
            ':name': written.name,
            ':dirs': written.add_dirs,
            ':at': written.updated_at,
            ':next': written.version,
            ':version': current.version,
            ...(written.default_agent !== undefined ? { ':agent': written.default_agent } : {}),
            ...(written.sandbox_ref !== undefined ? { ':sandbox': written.sandbox_ref } : {}),
          },
        },
      },
    ];
    if (renamed) {
      items.push(
        {
          Put: {
            TableName: table,
            Item: { ...keys.nameGuard(tenant, next.name), workspace_id: current.id },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Delete: { TableName: table, Key: keys.nameGuard(tenant, current.name) } },
      );
    }
    const failed = await transact(items);
    if (!failed.length) return toWorkspace(next);
    if (failed.includes(1)) throw conflict(`A workspace named "${next.name}" already exists`);
    // the workspace changed (or went) since we read it: read again
  }
  throw busy();
}

/** SET/REMOVE clauses of the optional fields: cleared ones are removed, not stored empty. */
function optionalSet(next: Workspace): string {
  const set = [
    next.default_agent !== undefined ? ', default_agent = :agent' : '',
    next.sandbox_ref !== undefined ? ', sandbox_ref = :sandbox' : '',
  ].join('');
  const remove = [next.default_agent === undefined ? 'default_agent' : '', next.sandbox_ref === undefined ? 'sandbox_ref' : ''].filter(
    Boolean,
  );
  return set + (remove.length ? ` REMOVE ${remove.join(', ')}` : '');
}

/**
 * Deletes the workspace and its guards in one transaction that holds only while no session is
 * open (the `open_sessions` counter sessions keep in step with their state), then its children.
 */
export async function deleteWorkspace(auth: AuthContext, ref: string): Promise<void> {
  requireTenantWide(auth, 'delete a workspace');
  const { tenant } = auth;
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const current = await requireWorkspace(tenant, ref);
    if (current.open_sessions) {
      throw conflict(`Workspace "${current.name}" has ${current.open_sessions} session(s) that are not stopped; stop them first`);
    }
    const table = tables.workspaces();
    const failed = await transact([
      {
        Delete: {
          TableName: table,
          Key: keys.workspace(tenant, current.id),
          ConditionExpression: 'version = :version AND open_sessions = :zero',
          ExpressionAttributeValues: { ':version': current.version, ':zero': 0 },
        },
      },
      { Delete: { TableName: table, Key: keys.nameGuard(tenant, current.name) } },
      { Delete: { TableName: table, Key: keys.rootGuard(tenant, current.root_dir) } },
    ]);
    if (!failed.length)
      return deleteChildren(tenant, current.id).catch((error: Error) =>
        logger.warn('workspace children left behind', { workspaceId: current.id, error }),
      );
  }
  throw busy();
}

/**
 * Children can no longer be written once the workspace item is gone (their writes check it),
 * so removing them afterwards cannot race with a new child. Should this step fail, the delete
 * has still happened: the leftovers sit under an id that is never reused and nothing reads.
 */
async function deleteChildren(tenant: string, workspaceId: string): Promise<void> {
  const pk = keys.children(tenant, workspaceId);
  await Promise.all(
    [tables.workspaces(), tables.sessions()].map(async (table) => {
      const items = await queryAll(table, pk);
      await batchDelete(
        table,
        items.map((item) => ({ pk: item.pk as string, sk: item.sk as string })),
      );
    }),
  );
}

/** Write condition of a child (agent, skill, provider, session): its workspace still exists. */
export const workspaceExists = (tenant: string, workspaceId: string): TransactItem => ({
  ConditionCheck: { TableName: tables.workspaces(), Key: keys.workspace(tenant, workspaceId), ConditionExpression: 'attribute_exists(pk)' },
});
