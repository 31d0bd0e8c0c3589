import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { confirm } from './contracts';
import * as sync from './service';

export const handler = httpHandler(confirm, async ({ auth, headers, query, body }) => {
  const agent = syncAgent(auth, headers, query.agentId);
  if (body.files) return sync.confirmUploads(agent, body.files);
  return sync.confirmOne(agent, { filePath: body.filePath as string, hash: body.hash as string, size: body.size as number, uploadId: body.uploadId });
});
