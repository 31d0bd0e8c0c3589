import { httpHandler } from '../kit/http';
import { syncPull } from './contracts';
import { agentScope } from './service/agent';
import { pullChanges } from './service/pull';
import { isKernleShaped, pullReply } from './wire';

export const handler = httpHandler(syncPull, async ({ auth, body }) =>
  pullReply(isKernleShaped(body), await pullChanges(agentScope(auth, body), body)));
