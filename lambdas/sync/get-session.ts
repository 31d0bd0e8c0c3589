import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { getSession } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(getSession, async ({ auth, headers, query, params }) =>
  sync.getSession(resolveScope(auth, headers, query.agentId), params.sessionId),
);
