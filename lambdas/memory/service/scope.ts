import type { AuthContext } from '../../kit/auth-context';
import { actingAgent } from '../../kit/auth-context';
import { badRequest, notFound } from '../../kit/errors';
import { partitionKey } from './store';

/** Who a memory request acts for, and where that agent's records live. */
export interface ScopeRef {
  tenant: string;
  agent: string;
  pk: string;
  /** The device the caller named (`device_id`): only a named device has a server-side pull position. */
  device?: string;
}

/** `stack_id` is the shipping Kernle client's name for `agent_id`. */
export function resolveScope(auth: AuthContext, ids: { agent_id?: string; stack_id?: string; device_id?: string | null }): ScopeRef {
  if (ids.agent_id !== undefined && ids.stack_id !== undefined && ids.agent_id !== ids.stack_id) {
    throw badRequest('agent_id and stack_id name different agents; send one of them');
  }
  const requested = ids.agent_id ?? ids.stack_id;
  const agent = actingAgent(auth, requested, () => notFound(`Agent ${requested} not found`));
  if (!agent) throw badRequest('agent_id is required (this API key is not bound to an agent)');
  return {
    tenant: auth.tenant,
    agent,
    pk: partitionKey(auth.tenant, agent),
    ...(ids.device_id ? { device: ids.device_id } : {}),
  };
}
