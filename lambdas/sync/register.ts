import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { register } from './contracts';
import * as sync from './service';

export const handler = httpHandler(register, async ({ auth, headers, query, body }) => sync.register(syncAgent(auth, headers, query.agentId), body?.displayName));
