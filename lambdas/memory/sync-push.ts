import { httpHandler } from '../kit/http';
import { syncPush } from './contracts';
import { agentScope } from './service/agent';
import { pushOperations } from './service/push';
import { isKernleShaped, pushReply } from './wire';

export const handler = httpHandler(syncPush, async ({ auth, body }) =>
  pushReply(isKernleShaped(body), await pushOperations(agentScope(auth, body), body.operations, body.limit)));
