import type { AuthContext } from '../../../../../lambdas/kit/auth-context';
import type { AppError } from '../../../../../lambdas/kit/errors';
import { expiryFor, isLive, parseScopePk, resolveScope, scopePk } from '../../../../../lambdas/items/service/scope';

const AT = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
const tenantKey: AuthContext = { tenant: 't1', surfaces: ['items'], keyId: 'k1' };
const alphaKey: AuthContext = { ...tenantKey, agent: 'alpha' };
const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('accepted');
};

describe('item scopes', () => {
  afterEach(() => {
    delete process.env.SATCHEL_TTL_TEMPORARY_SECONDS;
  });

  it('lifetimes by scope, rounded up to whole seconds from the write: agent 7 days, session 1 day, temporary 10 minutes, company for good', () => {
    const at = AT / 1000;
    expect(expiryFor('agent', AT)).toBe(Math.ceil(at + 7 * 86400));
    expect(expiryFor('session', AT)).toBe(Math.ceil(at + 86400));
    expect(expiryFor('temporary', AT)).toBe(Math.ceil(at + 600));
    expect(expiryFor('company', AT)).toBeUndefined();
  });

  it('a deployment may change a lifetime; 0 makes a scope permanent, a negative one is refused', () => {
    process.env.SATCHEL_TTL_TEMPORARY_SECONDS = '30';
    expect(expiryFor('temporary', AT)).toBe(Math.ceil(AT / 1000 + 30));
    process.env.SATCHEL_TTL_TEMPORARY_SECONDS = '0';
    expect(expiryFor('temporary', AT)).toBeUndefined();
    process.env.SATCHEL_TTL_TEMPORARY_SECONDS = '-1';
    expect(() => expiryFor('temporary', AT)).toThrow('SATCHEL_TTL_TEMPORARY_SECONDS must be a number of seconds >= 0');
  });

  it('an item is live until the second it expires, not at it; without expiry always', () => {
    expect(isLive(1000, 999.999)).toBe(true);
    expect(isLive(1000, 1000)).toBe(false);
    expect(isLive(undefined, Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('who is acting: an agent-bound key is its agent; another agent is not found; tenant-wide scopes ignore scopeId', () => {
    expect(resolveScope(alphaKey, undefined, undefined)).toEqual({ tenant: 't1', scope: 'agent', scopeId: 'alpha' });
    expect(refusal(() => resolveScope(alphaKey, 'agent', 'beta')).status).toBe(404);
    expect(resolveScope(tenantKey, 'agent', 'beta')).toEqual({ tenant: 't1', scope: 'agent', scopeId: 'beta' });
    expect(refusal(() => resolveScope(tenantKey, 'agent', undefined)).message).toBe(
      'scopeId is required for the agent scope (the agent id)',
    );
    expect(resolveScope(alphaKey, 'company', 'ignored')).toEqual({ tenant: 't1', scope: 'company', scopeId: '-' });
    expect(refusal(() => resolveScope(tenantKey, 'global', undefined)).status).toBe(400);
  });

  it('partition keys round-trip and foreign keys are not read as scopes', () => {
    const ref = { tenant: 't1', scope: 'session' as const, scopeId: 's:1@x' };
    expect(parseScopePk(scopePk(ref))).toEqual(ref);
    expect(parseScopePk('T#t1#ITEMS#global#x')).toBeUndefined();
    expect(parseScopePk('T#t1#A#alpha')).toBeUndefined();
  });
});
