import { Reply } from '../kit/http';
import { failedTransferBody } from './contracts';
import type { FailedFile } from './transfers';

/**
 * The answer of a sync or pull. Every file copied: seed 004's `success: true` with status 200.
 * Any file failed: 207 Multi-Status with `success: false` and an `error`, so a seed client that
 * reads `success` (or the status) cannot take a partial or failed copy for a finished one; the
 * per-file results ride along in `data` either way.
 */
export function transferReply<D extends { failedFiles: FailedFile[] }>(data: D, done: number, verb: string, allDoneMessage?: string): Reply {
  const total = done + data.failedFiles.length;
  const headers = { 'content-type': 'application/json; charset=utf-8' };
  if (!data.failedFiles.length) {
    return new Reply(200, JSON.stringify({ success: true, ...(allDoneMessage ? { message: allDoneMessage } : {}), data }), headers, true);
  }
  const message = `${done} of ${total} ${total === 1 ? 'file' : 'files'} ${verb}; data.failedFiles says why each other file failed`;
  const body = failedTransferBody(data, { code: done ? 'PARTIAL_FAILURE' : 'TRANSFER_FAILED', message });
  return new Reply(207, JSON.stringify(body), headers, true);
}
