import { newNonce, sha256Hex as hex } from '../../shared/sync-upload-ids';
import type { ScopeRef, FileEntry } from './store';

/**
 * Where workspace bytes live (docs/sync.md, "Data layout"). Uploads land on keys no entry names;
 * only a confirm makes bytes live, on a key that exactly one entry will ever name (so removing a
 * replaced file's key can never take bytes a later entry names):
 *   sync/<tenant>/<agentId>/o/<sha256(path)>/p-<nonce>.<sha256(content)>.<size>  a put presigned with
 *                                                              its hash and size (S3 checks both), one key per
 *                                                              presign, tagged unconfirmed until its confirm
 *   incoming/<tenant>/<agentId>/<sha256(path)>.<sha256(content)>.<size>  the same before direct puts
 *   incoming/<tenant>/<agentId>/<sha256(path)>.<sha256(content)>  a put presigned with its hash only: staged
 *   incoming/<tenant>/<agentId>/<sha256(path)>                  a put presigned without a hash: staged
 *   sync/<tenant>/<agentId>/o/<sha256(path)>/c-<nonce>          confirm's copy of a staged upload
 *   sync/<tenant>/<agentId>/o/<sha256(path)>/m-<nonce>          a multipart upload, one key per upload,
 *                                                              tagged unconfirmed until its confirm
 *   sync/<tenant>/<agentId>/o/<sha256(path)>/<sha256(content)>  earlier layout: a put with its hash
 *   sync/<tenant>/<agentId>/f/<path> or …/h/<sha256(path)>      entries confirmed before staging
 * Staged keys expire by prefix, unconfirmed direct puts and multipart objects by tag (lambdas/kit/data-model.ts). Every key
 * is far below S3's 1,024 bytes whatever the path.
 */

const agentPrefix = (a: ScopeRef) => `sync/${a.tenant}/${a.agentId}/`;

/** S3 allows keys of at most 1,024 bytes. */
const MAX_KEY_BYTES = 1024;

/** Where the earlier layout put a file presigned with its hash; entries with location `b` name it. */
export const blobKey = (a: ScopeRef, path: string, hash: string): string => `${agentPrefix(a)}o/${hex(path)}/${hash}`;
/**
 * Where a put is staged: per content when presigned with its hash (and its size, when declared too),
 * else per path. A key naming hash and size holds only bytes of both: S3 stores a PUT to it only with
 * the signed checksum and content-length, and only such URLs are signed for it.
 */
export const stagingKey = (a: ScopeRef, path: string, hash?: string, size?: number): string =>
  `incoming/${a.tenant}/${a.agentId}/${hex(path)}${hash === undefined ? '' : `.${hash}${size === undefined ? '' : `.${size}`}`}`;
/** The key of a location (`c-…`, `m-…`) an entry names. */
export const locationKey = (a: ScopeRef, path: string, location: string): string => `${agentPrefix(a)}o/${hex(path)}/${location}`;
/**
 * Where a put presigned with its hash and size goes: a key of its own per presign, which holds only
 * bytes of that hash and size (S3 stores a PUT there only with the signed checksum and
 * content-length) and is named in an entry by its location `p-<nonce>`.
 */
export const directLocation = (nonce: string): string => `p-${nonce}`;
export const directKey = (a: ScopeRef, path: string, location: string, content: { hash: string; size: number }): string =>
  locationKey(a, path, `${location}.${content.hash}.${content.size}`);
export const isDirectLocation = (location: string | undefined): boolean => location?.startsWith('p-') === true;

/** Keys of entries confirmed before uploads were staged: the path itself, or its hash when too long. */
function legacyKey(a: ScopeRef, path: string): string {
  const plain = `${agentPrefix(a)}f/${path}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_KEY_BYTES) return plain;
  return `${agentPrefix(a)}h/${hex(path)}`;
}

/** The object a manifest entry names. */
export function entryKey(a: ScopeRef, e: FileEntry): string {
  if (e.location === undefined) return legacyKey(a, e.path);
  if (e.location === 'b') return blobKey(a, e.path, e.hash);
  return isDirectLocation(e.location) ? directKey(a, e.path, e.location, e) : locationKey(a, e.path, e.location);
}

/** A fresh location for confirm's copy of a staged upload. */
export const newCopyLocation = (): string => `c-${newNonce()}`;
export const multipartLocation = (nonce: string): string => `m-${nonce}`;
export const multipartKey = (a: ScopeRef, path: string, nonce: string): string => locationKey(a, path, multipartLocation(nonce));
