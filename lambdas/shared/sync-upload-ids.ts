import { createHash, randomBytes } from 'node:crypto';

/**
 * Upload ids a client sends back with its confirm.
 *
 * Single puts presigned with their hash and size: `p-<nonce>`; the bytes go straight to the key
 * `p-<nonce>.<hash>.<size>` of the path (keys.ts), so the id, the path and the declared hash and
 * size together name the object.
 *
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
/**
 * A single put's nonce: the time it was presigned (ms, 12 hex digits) then 12 random ones, so
 * nonces of one path compare in presign order (store.ts keeps the newest one recorded).
 */
export const newPutNonce = (now = Date.now()): string => now.toString(16).padStart(12, '0') + randomBytes(6).toString('hex');
/** The greatest nonce a put presigned at or before `ms` can have: a delete at `ms` moves a path's `u` to it. */
export const lastPutNonceAt = (ms: number): string => ms.toString(16).padStart(12, '0') + 'f'.repeat(12);
export const uploadIdFor = (path: string, nonce: string, s3UploadId: string): string => nonce + tagOf(path, nonce, s3UploadId) + s3UploadId;

const PUT_ID = new RegExp(`^p-[0-9a-f]{${NONCE}}$`);
export const putUploadId = (nonce: string): string => `p-${nonce}`;
/** The nonce of a single put's upload id; undefined for any other id. */
export const putNonce = (id: string): string | undefined => (PUT_ID.test(id) ? id.slice(2) : undefined);

/** Whether an upload id has the form this API hands out (any other is a 400). */
export const isUploadId = (id: string): boolean =>
  PUT_ID.test(id) ||
  (id.length > NONCE + TAG &&
    /^[0-9a-f]+$/.test(id.slice(0, NONCE + TAG)) &&
    S3_UPLOAD_ID.test(id.slice(NONCE + TAG)) &&
    !/^\.+$/.test(id.slice(NONCE + TAG)));

/** The nonce and S3 upload id of an id handed out for `path`; undefined when it belongs to no upload of that path. */
export function parseUploadId(path: string, id: string): { nonce: string; s3UploadId: string } | undefined {
  if (!isUploadId(id) || putNonce(id)) return undefined;
  const nonce = id.slice(0, NONCE);
  const s3UploadId = id.slice(NONCE + TAG);
  return id.slice(NONCE, NONCE + TAG) === tagOf(path, nonce, s3UploadId) ? { nonce, s3UploadId } : undefined;
}
