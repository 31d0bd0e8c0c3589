import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { presign } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(presign, async ({ auth, headers, query, body }) =>
  sync.presign(resolveScope(auth, headers, query.agentId), body.files),
);
