import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { listFiles } from './contracts';
import * as sync from './service';

export const handler = httpHandler(listFiles, async ({ auth, headers, query }) => sync.listFiles(syncAgent(auth, headers, query.agentId), query));
