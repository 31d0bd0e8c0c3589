import { createHash, randomBytes } from 'node:crypto';
import type { AgentRef, FileEntry } from './store';

/**
 * Where workspace bytes live (docs/sync.md, "Data layout"). Uploads land on keys no entry names;
 * only a confirm makes bytes live, on a key that exactly one entry will ever name (so removing a
 * replaced file's key can never take bytes a later entry names):
 *   incoming/<tenant>/<agentId>/<sha256(path)>.<sha256(content)>  a put presigned with its hash (S3
 *                                                              checks the signed checksum): staged
 *   incoming/<tenant>/<agentId>/<sha256(path)>                  a put presigned without a hash: staged
 *   sync/<tenant>/<agentId>/o/<sha256(path)>/c-<nonce>          confirm's copy of a staged upload
 *   sync/<tenant>/<agentId>/o/<sha256(path)>/m-<nonce>          a multipart upload, one key per upload,
 *                                                              tagged unconfirmed until its confirm
 *   sync/<tenant>/<agentId>/o/<sha256(path)>/<sha256(content)>  earlier layout: a put with its hash
 *   sync/<tenant>/<agentId>/f/<path> or …/h/<sha256(path)>      entries confirmed before staging
 * Staged keys expire by prefix, unconfirmed multipart objects by tag (lib/data-model.ts). Every key
 * is far below S3's 1,024 bytes whatever the path.
 */

const hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const agentPrefix = (a: AgentRef) => `sync/${a.tenant}/${a.agentId}/`;

/** S3 allows keys of at most 1,024 bytes. */
const MAX_KEY_BYTES = 1024;

/** Where the earlier layout put a file presigned with its hash; entries with location `b` name it. */
export const blobKey = (a: AgentRef, path: string, hash: string): string => `${agentPrefix(a)}o/${hex(path)}/${hash}`;
/** Where a put is staged: per content when presigned with its hash, else per path. */
export const stagingKey = (a: AgentRef, path: string, hash?: string): string =>
  `incoming/${a.tenant}/${a.agentId}/${hex(path)}${hash === undefined ? '' : `.${hash}`}`;
/** The key of a location (`c-…`, `m-…`) an entry names. */
export const locationKey = (a: AgentRef, path: string, location: string): string => `${agentPrefix(a)}o/${hex(path)}/${location}`;

/** Keys of entries confirmed before uploads were staged: the path itself, or its hash when too long. */
function legacyKey(a: AgentRef, path: string): string {
  const plain = `${agentPrefix(a)}f/${path}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_KEY_BYTES) return plain;
  return `${agentPrefix(a)}h/${hex(path)}`;
}

/** The object a manifest entry names. */
export function entryKey(a: AgentRef, e: FileEntry): string {
  if (e.location === undefined) return legacyKey(a, e.path);
  return e.location === 'b' ? blobKey(a, e.path, e.hash) : locationKey(a, e.path, e.location);
}

/**
 * Multipart uploads: the id a client gets is `<nonce><tag><S3 upload id>`. The nonce names the
 * upload's own key (`m-<nonce>`); the tag binds the id to its path, so completing or confirming it
 * for another path is refused even where the store ignores the key (the local emulator does).
 */
const NONCE = 24;
const TAG = 16;
const S3_UPLOAD_ID = /^[A-Za-z0-9._~+=-]{1,900}$/;
const tagOf = (path: string, nonce: string, s3UploadId: string) => hex(`${path}\0${nonce}\0${s3UploadId}`).slice(0, TAG);

export const newNonce = (): string => randomBytes(NONCE / 2).toString('hex');
/** A fresh location for confirm's copy of a staged upload. */
export const newCopyLocation = (): string => `c-${newNonce()}`;
export const multipartLocation = (nonce: string): string => `m-${nonce}`;
export const multipartKey = (a: AgentRef, path: string, nonce: string): string => locationKey(a, path, multipartLocation(nonce));
export const uploadIdFor = (path: string, nonce: string, s3UploadId: string): string => nonce + tagOf(path, nonce, s3UploadId) + s3UploadId;

/** Whether an upload id has the form this API hands out (any other is a 400). */
export const isUploadId = (id: string): boolean =>
  id.length > NONCE + TAG && /^[0-9a-f]+$/.test(id.slice(0, NONCE + TAG)) && S3_UPLOAD_ID.test(id.slice(NONCE + TAG)) && !/^\.+$/.test(id.slice(NONCE + TAG));

/** The nonce and S3 upload id of an id handed out for `path`; undefined when it belongs to no upload of that path. */
export function parseUploadId(path: string, id: string): { nonce: string; s3UploadId: string } | undefined {
  if (!isUploadId(id)) return undefined;
  const nonce = id.slice(0, NONCE);
  const s3UploadId = id.slice(NONCE + TAG);
  return id.slice(NONCE, NONCE + TAG) === tagOf(path, nonce, s3UploadId) ? { nonce, s3UploadId } : undefined;
}
