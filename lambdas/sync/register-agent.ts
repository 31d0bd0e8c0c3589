import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { register } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(register, async ({ auth, headers, query, body }) =>
  sync.register(resolveScope(auth, headers, query.agentId), body?.displayName),
);
