import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { listSessions } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(listSessions, async ({ auth, headers, query }) =>
  sync.listSessions(resolveScope(auth, headers, query.agentId)),
);
