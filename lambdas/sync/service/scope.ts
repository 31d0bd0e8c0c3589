import { actingAgent, agentIdProblem, type AuthContext } from '../../kit/auth-context';
import { badRequest, notFound } from '../../kit/errors';
import type { ScopeRef } from './store';

/** Header (or `agentId` query parameter) by which a tenant-wide key names the agent it acts for. */
export const AGENT_HEADER = 'x-satchel-agent';

/**
 * The agent a sync request acts for: an agent-bound key's own agent (naming another one is a
 * 404), or for a tenant-wide key the agent named by `X-Satchel-Agent` or `?agentId=`. The id is
 * taken as it is, as on every other surface.
 */
export function resolveScope(auth: AuthContext, headers: Record<string, string | undefined>, queryAgent: string | undefined): ScopeRef {
  const requested = headers[AGENT_HEADER] ?? queryAgent;
  const problem = requested === undefined ? undefined : agentIdProblem(requested);
  if (problem) throw badRequest(`agent ${JSON.stringify(requested)} ${problem}`);
  const agent = actingAgent(auth, requested, () => notFound('No such agent'));
  if (!agent)
    throw badRequest(`This API key is not bound to an agent: name one with the ${AGENT_HEADER} header or the agentId query parameter`);
  return { tenant: auth.tenant, agentId: agent };
}
