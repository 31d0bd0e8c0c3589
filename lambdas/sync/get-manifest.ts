import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { getManifest } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(getManifest, async ({ auth, headers, query }) =>
  sync.getManifest(resolveScope(auth, headers, query.agentId), query),
);
