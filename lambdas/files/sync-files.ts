import { httpHandler, Reply } from '../kit/http';
import { syncFiles } from './contracts';
import { syncToDesktop } from './transfers';

// seed 004 answers sync with a top-level `message`; the per-file results ride along in `data`
export const handler = httpHandler(syncFiles, async ({ auth, params, body }) => {
  const data = await syncToDesktop(auth, params.id, body.files);
  const message = data.failedFiles.length ? `${data.syncedFiles.length} of ${data.syncedFiles.length + data.failedFiles.length} files synced to sandbox Desktop` : 'Files synced to sandbox Desktop';
  return new Reply(200, JSON.stringify({ success: true, message, data }), { 'content-type': 'application/json; charset=utf-8' }, true);
});
