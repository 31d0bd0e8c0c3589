import { actingAgent, type AuthContext } from '../kit/auth-context';
import { badRequest, notFound } from '../kit/errors';
import type { AgentRef } from './store';

/** Header (or `agentId` query parameter) by which a tenant-wide key names the agent it acts for. */
export const AGENT_HEADER = 'x-satchel-agent';

const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Agent ids carry the seed's `agt_` prefix: an agent named `alpha` is `agt_alpha`; `agt_alpha` stays as is. */
export const toAgentId = (name: string): string => (name.startsWith('agt_') ? name : `agt_${name}`);

/**
 * The agent a sync request acts for: an agent-bound key's own agent (naming another one is a
 * 404), or for a tenant-wide key the agent named by `X-Satchel-Agent` or `?agentId=`.
 */
export function syncAgent(auth: AuthContext, headers: Record<string, string | undefined>, queryAgent: string | undefined): AgentRef {
  const requested = headers[AGENT_HEADER] ?? queryAgent;
  if (requested !== undefined && !AGENT_NAME.test(requested)) {
    throw badRequest(`agent ${JSON.stringify(requested)} must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  const bound = auth.agent === undefined ? auth : { ...auth, agent: toAgentId(auth.agent) };
  const agent = actingAgent(bound, requested === undefined ? undefined : toAgentId(requested), () => notFound('No such agent'));
  if (!agent) throw badRequest(`This API key is not bound to an agent: name one with the ${AGENT_HEADER} header or the agentId query parameter`);
  return { tenant: auth.tenant, agentId: agent };
}
