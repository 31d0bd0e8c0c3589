import { actingAgent, requireTenantWide, type AuthContext } from '../../kit/auth-context';
import { badRequest, notFound } from '../../kit/errors';
import { REDACTED, type Agent, type Provider, type Skill } from '../../contracts/registry';
import { assertFits, getItem, keys, publicFields, tables, transact, type Item } from './store';
import { requireWorkspace, workspaceExists, workspaceNotFound } from './workspaces';

/** Agents, skills and providers of a workspace: named definitions, replaced whole by PUT. */
export type ComponentKind = 'agent' | 'skill' | 'provider';
interface ComponentOf {
  agent: Agent;
  skill: Skill;
  provider: Provider;
}
type Body<K extends ComponentKind> = Omit<ComponentOf[K], 'name'> & { name?: string };

const componentNotFound = (kind: ComponentKind, name: string, workspace: string) =>
  notFound(`No ${kind} named "${name}" in workspace "${workspace}"`);

/**
 * An agent-bound key manages its own agent's definition only (another agent's is not found);
 * skills and providers belong to the whole tenant, so only tenant-wide keys change them.
 */
function actingName(auth: AuthContext, kind: ComponentKind, name: string, workspace: string): string {
  if (kind !== 'agent') {
    requireTenantWide(auth, `change or delete a ${kind}`);
    return name;
  }
  return actingAgent(auth, name, () => componentNotFound(kind, name, workspace)) ?? name;
}

export async function putComponent<K extends ComponentKind>(
  auth: AuthContext,
  kind: K,
  ref: string,
  pathName: string,
  body: Body<K>,
): Promise<ComponentOf[K]> {
  if (body.name !== undefined && body.name !== pathName) {
    throw badRequest(`body.name "${body.name}" does not match the ${kind} name in the path "${pathName}"`);
  }
  const name = actingName(auth, kind, pathName, ref);
  const workspace = await requireWorkspace(auth.tenant, ref);
  const key = keys.component(auth.tenant, workspace.id, kind, name);
  let component = { ...body, name } as unknown as ComponentOf[K];
  if (kind === 'agent') {
    const stored = await getItem(tables.workspaces(), key);
    component = keepRedactedSecrets(component as Agent, stored as Agent | undefined) as ComponentOf[K];
  }
  const item = { ...key, ...component };
  assertFits(`The ${kind} "${name}"`, item);
  const failed = await transact([workspaceExists(auth.tenant, workspace.id), { Put: { TableName: tables.workspaces(), Item: item } }]);
  if (failed.length) throw workspaceNotFound(ref);
  return present(kind, component);
}

export async function deleteComponent(auth: AuthContext, kind: ComponentKind, ref: string, pathName: string): Promise<void> {
  const name = actingName(auth, kind, pathName, ref);
  const workspace = await requireWorkspace(auth.tenant, ref);
  const failed = await transact([
    {
      Delete: {
        TableName: tables.workspaces(),
        Key: keys.component(auth.tenant, workspace.id, kind, name),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
  ]);
  if (failed.length) throw componentNotFound(kind, name, ref);
}

export interface Components {
  agents: Agent[];
  skills: Skill[];
  providers: Provider[];
}

/**
 * The components of a workspace a key may read, as answered (secrets redacted), sorted by name:
 * an agent-bound key reads its own agent's definition and the shared skills and providers.
 */
export function splitComponents(auth: AuthContext, items: Item[]): Components {
  const of = <K extends ComponentKind>(kind: K) =>
    items
      .filter((item) => (item.sk as string).startsWith(`${kind.toUpperCase()}#`))
      .filter((item) => kind !== 'agent' || auth.agent === undefined || item.name === auth.agent)
      .map((item) => present(kind, publicFields<ComponentOf[K]>(item)))
      .sort((a, b) => a.name.localeCompare(b.name));
  return { agents: of('agent'), skills: of('skill'), providers: of('provider') };
}

function present<K extends ComponentKind>(kind: K, component: ComponentOf[K]): ComponentOf[K] {
  return kind === 'agent' ? (redactSecrets(component as Agent) as ComponentOf[K]) : component;
}

/** `secret_env` is write-only: its keys are answered, every value reads as REDACTED. */
function redactSecrets(agent: Agent): Agent {
  if (!agent.mcp_servers) return agent;
  return {
    ...agent,
    mcp_servers: agent.mcp_servers.map((server) =>
      server.secret_env ? { ...server, secret_env: Object.fromEntries(Object.keys(server.secret_env).map((k) => [k, REDACTED])) } : server,
    ),
  };
}

/** A PUT that sends a secret back as REDACTED (read, edit, write) keeps the stored value. */
function keepRedactedSecrets(agent: Agent, stored: Agent | undefined): Agent {
  if (!agent.mcp_servers) return agent;
  return {
    ...agent,
    mcp_servers: agent.mcp_servers.map((server, index) => {
      if (!server.secret_env) return server;
      const storedEnv = stored?.mcp_servers?.find((s) => s.name === server.name)?.secret_env ?? {};
      const secret_env = Object.fromEntries(
        Object.entries(server.secret_env).map(([envKey, value]) => {
          if (value !== REDACTED) return [envKey, value];
          const kept = storedEnv[envKey];
          if (kept === undefined)
            throw badRequest(`mcp_servers[${index}].secret_env.${envKey} is "${REDACTED}" but no value is stored for it`);
          return [envKey, kept];
        }),
      );
      return { ...server, secret_env };
    }),
  };
}
