import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { reconstruct } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(reconstruct, async ({ auth, headers, query, body }) =>
  sync.reconstruct(resolveScope(auth, headers, query.agentId), body),
);
