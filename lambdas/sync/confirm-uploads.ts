import { httpHandler } from '../kit/http';
import { resolveScope } from './service/scope';
import { confirm } from '../contracts/sync';
import * as sync from './service/workspace';

export const handler = httpHandler(confirm, async ({ auth, headers, query, body }) => {
  const agent = resolveScope(auth, headers, query.agentId);
  if (body.files) return sync.confirmUploads(agent, body.files);
  return sync.confirmOne(agent, {
    filePath: body.filePath as string,
    hash: body.hash as string,
    size: body.size as number,
    uploadId: body.uploadId,
  });
});
