import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { completeMultipart } from './contracts';
import * as sync from './service';

export const handler = httpHandler(completeMultipart, async ({ auth, headers, query, body }) => sync.finishMultipart(syncAgent(auth, headers, query.agentId), body));
