import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { getSession } from './contracts';
import * as sync from './service';

export const handler = httpHandler(getSession, async ({ auth, headers, query, params }) => sync.getSession(syncAgent(auth, headers, query.agentId), params.sessionId));
