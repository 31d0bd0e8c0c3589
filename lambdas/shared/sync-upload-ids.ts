import { createHash, randomBytes } from 'node:crypto';

/**
 * Multipart uploads: the id a client gets is `<nonce><tag><S3 upload id>`. The nonce names the
 * upload's own key (`m-<nonce>`); the tag binds the id to its path, so completing or confirming it
 * for another path is refused even where the store ignores the key (the local emulator does).
 * The contract checks the form of an id; the service checks it belongs to the path.
 */
const NONCE = 24;
const TAG = 16;
const S3_UPLOAD_ID = /^[A-Za-z0-9._~+=-]{1,900}$/;

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const tagOf = (path: string, nonce: string, s3UploadId: string) => sha256Hex(`${path}\0${nonce}\0${s3UploadId}`).slice(0, TAG);

export const newNonce = (): string => randomBytes(NONCE / 2).toString('hex');
export const uploadIdFor = (path: string, nonce: string, s3UploadId: string): string => nonce + tagOf(path, nonce, s3UploadId) + s3UploadId;

/** Whether an upload id has the form this API hands out (any other is a 400). */
export const isUploadId = (id: string): boolean =>
  id.length > NONCE + TAG &&
  /^[0-9a-f]+$/.test(id.slice(0, NONCE + TAG)) &&
  S3_UPLOAD_ID.test(id.slice(NONCE + TAG)) &&
  !/^\.+$/.test(id.slice(NONCE + TAG));

/** The nonce and S3 upload id of an id handed out for `path`; undefined when it belongs to no upload of that path. */
export function parseUploadId(path: string, id: string): { nonce: string; s3UploadId: string } | undefined {
  if (!isUploadId(id)) return undefined;
  const nonce = id.slice(0, NONCE);
  const s3UploadId = id.slice(NONCE + TAG);
  return id.slice(NONCE, NONCE + TAG) === tagOf(path, nonce, s3UploadId) ? { nonce, s3UploadId } : undefined;
}
