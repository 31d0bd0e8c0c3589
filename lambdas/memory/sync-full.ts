import { httpHandler } from '../kit/http';
import { syncFull } from './contracts';
import { agentScope } from './service/agent';
import { fullSync } from './service/full';
import { fullReply } from './wire';

export const handler = httpHandler(syncFull, async ({ auth, body }) => fullReply(await fullSync(agentScope(auth, body), body, body.operations ?? [])));
