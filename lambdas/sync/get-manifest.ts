import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { getManifest } from './contracts';
import * as sync from './service';

export const handler = httpHandler(getManifest, async ({ auth, headers, query }) => sync.getManifest(syncAgent(auth, headers, query.agentId), query));
