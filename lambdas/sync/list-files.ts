import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { listFiles } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(listFiles, async ({ auth, headers, query }) =>
  sync.listFiles(resolveScope(auth, headers, query.agentId), query),
);
