import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { deleteFile } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(deleteFile, async ({ auth, headers, query, params }) =>
  sync.deleteFile(resolveScope(auth, headers, query.agentId), params.filePath),
);
