import type { AuthContext } from '../../../../../lambdas/kit/auth-context';
import type { AppError } from '../../../../../lambdas/kit/errors';
import { resolveScope } from '../../../../../lambdas/memory/service/scope';

const tenantKey: AuthContext = { tenant: 't1', surfaces: ['memory'], keyId: 'k1' };
const alphaKey: AuthContext = { ...tenantKey, agent: 'alpha' };
const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('accepted');
};

describe('memory scope: who is acting and where its records live', () => {
  it('an agent-bound key acts for its agent, named or not; another agent is not found (its existence stays hidden)', () => {
    expect(resolveScope(alphaKey, {})).toEqual({ tenant: 't1', agent: 'alpha', pk: 'T#t1#A#alpha' });
    expect(resolveScope(alphaKey, { agent_id: 'alpha' }).agent).toBe('alpha');
    const other = refusal(() => resolveScope(alphaKey, { agent_id: 'beta' }));
    expect([other.status, other.message]).toEqual([404, 'Agent beta not found']);
    expect(refusal(() => resolveScope(alphaKey, { stack_id: 'beta' })).status).toBe(404);
  });

  it("a tenant-wide key names the agent: agent_id or Kernle's stack_id; neither, or two different ones, is a 400", () => {
    expect(resolveScope(tenantKey, { stack_id: 'gamma' }).agent).toBe('gamma');
    expect(resolveScope(tenantKey, { agent_id: 'gamma', stack_id: 'gamma' }).agent).toBe('gamma');
    const none = refusal(() => resolveScope(tenantKey, {}));
    expect([none.status, none.message]).toEqual([400, 'agent_id is required (this API key is not bound to an agent)']);
    const both = refusal(() => resolveScope(tenantKey, { agent_id: 'gamma', stack_id: 'delta' }));
    expect([both.status, both.message]).toEqual([400, 'agent_id and stack_id name different agents; send one of them']);
  });

  it('records are partitioned per tenant and agent: the same agent name in two tenants never shares a partition', () => {
    const a = resolveScope(tenantKey, { agent_id: 'gamma' });
    const b = resolveScope({ ...tenantKey, tenant: 't2' }, { agent_id: 'gamma' });
    expect(a.pk).not.toBe(b.pk);
    expect(resolveScope(tenantKey, { agent_id: 'delta' }).pk).not.toBe(a.pk);
  });

  it('only a named device has a server-side position: null or empty device_id is no device', () => {
    expect(resolveScope(alphaKey, { device_id: 'laptop' }).device).toBe('laptop');
    expect(resolveScope(alphaKey, { device_id: null })).not.toHaveProperty('device');
    expect(resolveScope(alphaKey, { device_id: '' })).not.toHaveProperty('device');
  });
});
