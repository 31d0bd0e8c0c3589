import { randomBytes } from 'node:crypto';
import { actingAgent, type AuthContext } from '../../kit/auth-context';
import { conflict, notFound } from '../../kit/errors';
import type { CreateSessionInput, Lineage, Session, SpawnBudget, UpdateSessionInput } from '../../contracts/registry';
import { normalisePath } from './paths';
import {
  assertFits,
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
import { requireWorkspace } from './workspaces';

/**
 * Sessions of a workspace. Two counters keep the rules race-free:
 * - `open_sessions` on the workspace item counts sessions not stopped; every write that
 *   opens or stops a session moves it in the same transaction, and deleting the workspace
 *   requires it to be 0;
 * - `child_count` on a session counts the children ever spawned from it; a child's insert
 *   raises it under the condition `child_count < max_children`.
 */
const newSessionId = (): string => `sess_${randomBytes(12).toString('base64url')}`;
const isOpen = (state: Session['state']) => state !== 'stopped';
/** A limit of 0 or none is no limit. */
const limit = (value: number | undefined): number | undefined => (value ? value : undefined);

const sessionNotFound = (id: string, workspace: string) => notFound(`No session "${id}" in workspace "${workspace}"`);

/** An agent-bound key sees and writes its own agent's sessions only. */
const visibleTo = (auth: AuthContext) => (session: Session) => !auth.agent || session.agent_name === auth.agent;

export function presentSessions(auth: AuthContext, items: Item[]): Session[] {
  return items
    .map((item) => publicFields<Session>(item))
    .filter(visibleTo(auth))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

export async function listSessions(auth: AuthContext, ref: string): Promise<Session[]> {
  const workspace = await requireWorkspace(auth.tenant, ref);
  return presentSessions(auth, await queryAll(tables.sessions(), keys.children(auth.tenant, workspace.id), 'S#'));
}

async function readSession(tenant: string, workspaceId: string, id: string): Promise<{ session: Session; version: number } | undefined> {
  const item = await getItem(tables.sessions(), keys.session(tenant, workspaceId, id));
  return item && { session: publicFields<Session>(item), version: Number(item.version ?? 0) };
}

/** Depth and root come from the parent; the parent's budget bounds this child. */
function deriveLineage(id: string, createdAt: string, input: CreateSessionInput['lineage'], parent: Session | undefined): Lineage {
  const budget: SpawnBudget | undefined = input?.spawn_budget ?? parent?.lineage.spawn_budget;
  const ttl = limit(budget?.ttl_seconds);
  return {
    ...input,
    ...(budget ? { spawn_budget: budget } : {}),
    root_session_id: parent ? parent.lineage.root_session_id : id,
    spawn_depth: parent ? parent.lineage.spawn_depth + 1 : 0,
    ...(ttl ? { ttl_expires_at: new Date(Date.parse(createdAt) + ttl * 1000).toISOString() } : {}),
  };
}

/** The parent must exist in this workspace, be visible to the caller and still be open. */
async function openParent(auth: AuthContext, workspaceId: string, ref: string, parentId: string): Promise<Session> {
  const parent = (await readSession(auth.tenant, workspaceId, parentId))?.session;
  if (!parent || !visibleTo(auth)(parent)) throw notFound(`Parent session "${parentId}" not found in workspace "${ref}"`);
  if (!isOpen(parent.state)) throw conflict(`Parent session "${parentId}" is stopped and cannot spawn children`);
  return parent;
}

export async function createSession(auth: AuthContext, ref: string, input: CreateSessionInput): Promise<Session> {
  const workspace = await requireWorkspace(auth.tenant, ref);
  const agent_name = actingAgent(auth, input.agent_name, () => notFound(`Agent "${input.agent_name}" not found`));
  const id = input.id ?? newSessionId();
  const parentId = input.lineage?.parent_session_id;
  const parent = parentId === undefined ? undefined : await openParent(auth, workspace.id, ref, parentId);
  const createdAt = now();
  const lineage = deriveLineage(id, createdAt, input.lineage, parent);
  const maxDepth = limit(parent?.lineage.spawn_budget?.max_depth);
  if (maxDepth !== undefined && lineage.spawn_depth > maxDepth) {
    throw conflict(`Spawn depth ${lineage.spawn_depth} exceeds max_depth ${maxDepth} of parent session "${parentId}"`);
  }
  const { lineage: _declared, ...fields } = input;
  const session: Session = {
    ...fields,
    id,
    workspace_id: workspace.id,
    workspace_path: input.workspace_path === undefined ? workspace.root_dir : normalisePath(input.workspace_path, 'workspace_path'),
    agent_name,
    state: input.state ?? 'starting',
    lineage,
    created_at: createdAt,
    updated_at: createdAt,
  };
  const item = { ...keys.session(auth.tenant, workspace.id, id), ...session, version: 0, child_count: 0 };
  assertFits(`The session "${id}"`, item);

  const opens = isOpen(session.state);
  const maxActive = parent && opens ? limit(parent.lineage.spawn_budget?.max_active_per_workspace) : undefined;
  const maxChildren = parent ? limit(parent.lineage.spawn_budget?.max_children) : undefined;
  const items: TransactItem[] = [
    { Put: { TableName: tables.sessions(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Update: {
        TableName: tables.workspaces(),
        Key: keys.workspace(auth.tenant, workspace.id),
        UpdateExpression: 'ADD open_sessions :opens',
        ConditionExpression: `attribute_exists(pk)${maxActive !== undefined ? ' AND open_sessions < :maxActive' : ''}`,
        ExpressionAttributeValues: { ':opens': opens ? 1 : 0, ...(maxActive !== undefined ? { ':maxActive': maxActive } : {}) },
      },
    },
  ];
  if (parent) {
    items.push({
      Update: {
        TableName: tables.sessions(),
        Key: keys.session(auth.tenant, workspace.id, parent.id),
        UpdateExpression: 'ADD child_count :one',
        ConditionExpression: `attribute_exists(pk) AND #state <> :stopped${maxChildren !== undefined ? ' AND child_count < :maxChildren' : ''}`,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':stopped': 'stopped',
          ...(maxChildren !== undefined ? { ':maxChildren': maxChildren } : {}),
        },
      },
    });
  }
  const failed = await transact(items);
  if (failed.includes(0)) throw conflict(`A session "${id}" already exists in workspace "${ref}"`);
  if (failed.includes(1)) {
    await requireWorkspace(auth.tenant, ref);
    throw conflict(
      `Workspace "${ref}" already has ${maxActive} open session(s), the max_active_per_workspace of parent session "${parentId}"`,
    );
  }
  if (failed.includes(2)) {
    await openParent(auth, workspace.id, ref, parent!.id);
    throw conflict(`Parent session "${parentId}" has spawned its max_children (${maxChildren}) children`);
  }
  return session;
}

/**
 * Only the fields given change: `null` removes one, a value replaces it (objects whole). An
 * update expression, not a put, so a concurrent child's `child_count` increment is kept.
 */
export async function updateSession(auth: AuthContext, ref: string, id: string, input: UpdateSessionInput): Promise<Session> {
  const workspace = await requireWorkspace(auth.tenant, ref);
  const changes = Object.entries(input).filter(([, value]) => value !== undefined);
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const read = await readSession(auth.tenant, workspace.id, id);
    if (!read || !visibleTo(auth)(read.session)) throw sessionNotFound(id, ref);
    const current = read.session;
    if (!isOpen(current.state) && input.state !== undefined && isOpen(input.state)) {
      throw conflict(`Session "${id}" is stopped; a stopped session cannot become ${input.state}`);
    }
    const next: Record<string, unknown> = { ...current, updated_at: now() };
    for (const [field, value] of changes) {
      if (value === null) delete next[field];
      else next[field] = value;
    }
    const session = next as unknown as Session;
    assertFits(`The session "${id}"`, next);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':at': session.updated_at, ':version': read.version, ':next': read.version + 1 };
    const sets = ['updated_at = :at', 'version = :next'];
    const removes: string[] = [];
    for (const [field, value] of changes) {
      names[`#${field}`] = field;
      if (value === null) removes.push(`#${field}`);
      else {
        sets.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tables.sessions(),
          Key: keys.session(auth.tenant, workspace.id, id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'version = :version',
          ...(changes.length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        },
      },
    ];
    if (isOpen(current.state) !== isOpen(session.state)) {
      items.push({
        Update: {
          TableName: tables.workspaces(),
          Key: keys.workspace(auth.tenant, workspace.id),
          UpdateExpression: 'ADD open_sessions :delta',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':delta': isOpen(session.state) ? 1 : -1 },
        },
      });
    }
    const failed = await transact(items);
    if (!failed.length) return session;
    // the session changed since we read it: read again
  }
  throw busy();
}
