import { httpHandler } from '../kit/http';
import { pullFiles } from '../contracts/files';
import { transferReply } from './service/transfer-reply';
import { pullFromDesktop } from './service/transfers';

export const handler = httpHandler(pullFiles, async ({ auth, params, body, requestId }) => {
  const data = await pullFromDesktop(auth, params.id, body.files, requestId);
  return transferReply(data, data.pulledFiles.length, 'pulled from sandbox Desktop');
});
