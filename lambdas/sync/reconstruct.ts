import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { reconstruct } from './contracts';
import * as sync from './service';

export const handler = httpHandler(reconstruct, async ({ auth, headers, query, body }) => sync.reconstruct(syncAgent(auth, headers, query.agentId), body));
