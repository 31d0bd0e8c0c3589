import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { getStats } from './contracts';
import * as sync from './service';

export const handler = httpHandler(getStats, async ({ auth, headers, query }) => sync.getStats(syncAgent(auth, headers, query.agentId)));
