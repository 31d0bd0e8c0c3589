import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { listSessions } from './contracts';
import * as sync from './service';

export const handler = httpHandler(listSessions, async ({ auth, headers, query }) => sync.listSessions(syncAgent(auth, headers, query.agentId)));
