import { Reply } from '../../kit/reply';
import { failedTransferBody } from '../../contracts/files';
import type { FailedFile } from './transfers';

/**
 * The answer of a sync or pull. Every file copied: seed 004's `success: true` with status 200.
 * Any file failed: 207 Multi-Status with `success: false` and an `error`, so a seed client that
 * reads `success` (or the status) cannot take a partial or failed copy for a finished one; the
 * per-file results ride along in `data` either way. The 207 body is seed 004's partial-failure shape, not
 * its success envelope, so it is sent as it is (Reply.json).
 */
export function transferReply<D extends { failedFiles: FailedFile[] }>(
  data: D,
  done: number,
  verb: string,
  allDoneMessage?: string,
): Reply {
  const total = done + data.failedFiles.length;
  if (!data.failedFiles.length) return Reply.ok(data, { topLevel: allDoneMessage ? { message: allDoneMessage } : {} });
  const message = `${done} of ${total} ${total === 1 ? 'file' : 'files'} ${verb}; data.failedFiles says why each other file failed`;
  return Reply.json(207, failedTransferBody(data, { code: done ? 'PARTIAL_FAILURE' : 'TRANSFER_FAILED', message }));
}
