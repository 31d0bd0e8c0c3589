import { httpHandler } from '../kit/http';
import { syncFiles } from '../contracts/files';
import { transferReply } from './service/transfer-reply';
import { syncToDesktop } from './service/transfers';

// seed 004 answers sync with a top-level `message`; the per-file results ride along in `data`
export const handler = httpHandler(syncFiles, async ({ auth, params, body, requestId }) => {
  const data = await syncToDesktop(auth, params.id, body.files, requestId);
  return transferReply(data, data.syncedFiles.length, 'synced to sandbox Desktop', 'Files synced to sandbox Desktop');
});
