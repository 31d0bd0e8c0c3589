import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { completeMultipart } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(completeMultipart, async ({ auth, headers, query, body }) =>
  sync.finishMultipart(resolveScope(auth, headers, query.agentId), body),
);
