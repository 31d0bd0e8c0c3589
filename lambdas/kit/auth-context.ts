import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';
import { forbidden } from './errors';
import { SURFACES, type Surface } from '../contracts/surfaces';

/**
 * An agent id as every surface uses it, byte for byte: no surface adds a prefix, folds case or
 * normalises it, so one id never names two agents or two ids one. Lowercase, because ids that
 * differ only in case would share a folder wherever bytes land on a case-insensitive file system
 * (the local runtime's object store on macOS or Windows).
 */
const AGENT_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** Earlier versions stored workspace sync files of agent `x` as agent `agt_x`: an id with this prefix would reach them. */
const RESERVED_PREFIX = 'agt_';

/** Why `id` cannot be an agent id (a key's agent, a sync agent), or undefined when it is canonical. */
export function agentIdProblem(id: string): string | undefined {
  if (id.startsWith(RESERVED_PREFIX)) {
    return `must not start with "${RESERVED_PREFIX}" (reserved: earlier versions named agent "${id.slice(RESERVED_PREFIX.length)}" so); use "${id.slice(RESERVED_PREFIX.length)}"`;
  }
  if (AGENT_ID.test(id)) return undefined;
  const lower = id.toLowerCase();
  if (AGENT_ID.test(lower)) return `must be lowercase: use "${lower}"`;
  return 'must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit';
}

/** Who is calling, as the authorizer established it from the API key. */
export interface AuthContext {
  tenant: string;
  /** Set when the key is bound to one agent: the key may act for that agent only. */
  agent?: string;
  surfaces: Surface[];
  keyId: string;
}

/** What the authorizer puts into `requestContext.authorizer.lambda` (flat strings: API Gateway's rule). */
export interface AuthorizerContext {
  tenant: string;
  agent: string;
  surfaces: string;
  keyId: string;
}

export function toAuthorizerContext(auth: AuthContext): AuthorizerContext {
  return { tenant: auth.tenant, agent: auth.agent ?? '', surfaces: auth.surfaces.join(','), keyId: auth.keyId };
}

export function authFromEvent(event: APIGatewayProxyEventV2WithLambdaAuthorizer<Partial<AuthorizerContext>>): AuthContext | undefined {
  const ctx = event.requestContext?.authorizer?.lambda;
  if (!ctx?.tenant || !ctx.keyId) return undefined;
  const surfaces = (ctx.surfaces ?? '').split(',').filter((s): s is Surface => (SURFACES as readonly string[]).includes(s));
  return { tenant: ctx.tenant, agent: ctx.agent || undefined, surfaces, keyId: ctx.keyId };
}

export function requireSurface(auth: AuthContext, surface: Surface): void {
  if (!auth.surfaces.includes(surface)) throw forbidden(`This API key may not use the ${surface} surface`);
}

/**
 * The agent a request acts for. An agent-bound key acts for its own agent only; another
 * agent's name is answered as not found, so a key cannot even detect other agents' data.
 */
export function actingAgent(auth: AuthContext, requested: string | undefined, notFound: () => Error): string | undefined {
  if (auth.agent) {
    if (requested !== undefined && requested !== auth.agent) throw notFound();
    return auth.agent;
  }
  return requested;
}

/**
 * What belongs to the whole tenant (a registered workspace, its skills and providers) is changed
 * or deleted by tenant-wide keys only: an agent-bound key acts on its own agent's data.
 */
export function requireTenantWide(auth: AuthContext, action: string): void {
  if (auth.agent !== undefined)
    throw forbidden(`An API key bound to agent "${auth.agent}" cannot ${action}; use a key that is not bound to an agent`);
}
