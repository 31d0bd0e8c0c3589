import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { presign } from './contracts';
import * as sync from './service';

export const handler = httpHandler(presign, async ({ auth, headers, query, body }) => sync.presign(syncAgent(auth, headers, query.agentId), body.files));
