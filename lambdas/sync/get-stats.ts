import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { getStats } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(getStats, async ({ auth, headers, query }) => sync.getStats(resolveScope(auth, headers, query.agentId)));
