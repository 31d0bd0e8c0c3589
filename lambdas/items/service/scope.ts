import { actingAgent, type AuthContext } from '../../kit/auth-context';
import { config } from '../../kit/config';
import { badRequest, notFound } from '../../kit/errors';
import { invalidScope, scopeIdRequired } from './errors';

export const SCOPES = ['agent', 'session', 'company', 'temporary'] as const;
export type Scope = (typeof SCOPES)[number];

/** Where an item lives: a tenant's scope, with the agent or session id for `agent` and `session`. */
export interface ScopeRef {
  tenant: string;
  scope: Scope;
  /** `-` for the tenant-wide scopes (company, temporary). */
  scopeId: string;
}

export const TENANT_WIDE = '-';
const SCOPE_ID_FORMAT = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/**
 * Checks a scope and scope id the way seed 003 names its errors. The scope defaults to `agent`;
 * an agent-bound key may only use its own agent (its id is the default there, another agent is
 * answered as not found); `company` and `temporary` are tenant-wide and ignore scopeId.
 */
export function resolveScope(
  auth: AuthContext,
  scopeValue: unknown,
  scopeIdValue: unknown,
  fields = { scope: 'scope', scopeId: 'scopeId' },
): ScopeRef {
  const value = scopeValue === undefined || scopeValue === '' ? 'agent' : scopeValue;
  if (typeof value !== 'string' || !(SCOPES as readonly string[]).includes(value)) {
    throw invalidScope(`${fields.scope} must be one of ${SCOPES.join(', ')}, not ${JSON.stringify(value)}`);
  }
  const scope = value as Scope;
  if (scope === 'company' || scope === 'temporary') return { tenant: auth.tenant, scope, scopeId: TENANT_WIDE };
  if (scopeIdValue !== undefined && typeof scopeIdValue !== 'string') throw badRequest(`${fields.scopeId} must be a string`);
  const requested = scopeIdValue === '' ? undefined : scopeIdValue;
  const scopeId =
    scope === 'agent' ? actingAgent(auth, requested, () => notFound(`No items of agent ${requested}`, 'ITEM_NOT_FOUND')) : requested;
  if (!scopeId)
    throw scopeIdRequired(`${fields.scopeId} is required for the ${scope} scope (the ${scope === 'agent' ? 'agent' : 'session'} id)`);
  if (!SCOPE_ID_FORMAT.test(scopeId))
    throw badRequest(`${fields.scopeId} must be 1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit`);
  return { tenant: auth.tenant, scope, scopeId };
}

/** Partition key of a scope's item entries in the manifests table. */
export const scopePk = (ref: ScopeRef): string => `T#${ref.tenant}#ITEMS#${ref.scope}#${ref.scopeId}`;

export function parseScopePk(pk: string): ScopeRef | undefined {
  const m = /^T#([^#]+)#ITEMS#([a-z]+)#(.+)$/.exec(pk);
  if (!m || !(SCOPES as readonly string[]).includes(m[2])) return undefined;
  return { tenant: m[1], scope: m[2] as Scope, scopeId: m[3] };
}

/** The time item lifetimes are judged by, epoch ms: the machine's clock, moved by a test (config.clockOffsetSeconds). */
export const nowMs = (): number => Date.now() + config.clockOffsetSeconds * 1000;

/** Expiry of an item written now, epoch seconds (rounded up: never shorter than the lifetime); undefined = permanent. */
export function expiryFor(scope: Scope, at = nowMs()): number | undefined {
  const ttl = config.scopeTtlSeconds(scope);
  if (!Number.isFinite(ttl) || ttl < 0) throw new Error(`SATCHEL_TTL_${scope.toUpperCase()}_SECONDS must be a number of seconds >= 0`);
  return ttl > 0 ? Math.ceil(at / 1000 + ttl) : undefined;
}

export const nowSeconds = (): number => nowMs() / 1000;
export const isLive = (expiresAt: number | undefined, now = nowSeconds()): boolean => expiresAt === undefined || expiresAt > now;
