import { httpHandler } from '../kit/http';
import { syncStatus } from './contracts';
import { agentScope } from './service/agent';
import * as memory from './service/status';

export const handler = httpHandler(syncStatus, async ({ auth, query }) => memory.syncStatus(agentScope(auth, query)));
