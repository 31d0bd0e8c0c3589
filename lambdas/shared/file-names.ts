import { createHash, randomBytes } from 'node:crypto';
import { hasControlCharacter, hasLoneSurrogate, longestSegmentBytes, segmentsOf, utf8Bytes } from './path-rules';

/**
 * Names and keys of the files surface. A `fileName` is a relative path inside a sandbox's
 * Desktop; it becomes a DynamoDB sort key, an S3 key suffix and a path on disk, so it is
 * checked once here and trusted afterwards.
 */

export const DEPLOYMENT_ID = /^dep_[a-z0-9]{20}$/;
export const FILE_ID = /^file_[a-z0-9]{26}$/;
/** Bytes; a longer S3 key would not fit under S3's 1024-byte limit with the prefix and tenant. */
export const MAX_FILE_NAME_BYTES = 512;
/** Bytes of one path segment: the common file-system limit. */
const MAX_SEGMENT_BYTES = 255;

const base32 = (bytes: Buffer): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
};

export const newDeploymentId = (): string => `dep_${base32(randomBytes(13)).slice(0, 20)}`;

/**
 * A file's id is derived from where it lives, so recording (or pulling) the same file twice
 * yields the same id without a read-modify-write race.
 */
export const fileIdOf = (tenant: string, deploymentId: string, fileName: string): string =>
  `file_${base32(createHash('sha256').update(`${tenant}\0${deploymentId}\0${fileName}`).digest()).slice(0, 26)}`;

/** Why a fileName is refused, or undefined when it is a plain name or relative path inside the Desktop. */
export function fileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (hasLoneSurrogate(name)) return 'must be valid Unicode (it holds a lone surrogate)';
  if (utf8Bytes(name) > MAX_FILE_NAME_BYTES) return `must be at most ${MAX_FILE_NAME_BYTES} bytes`;
  if (hasControlCharacter(name)) return 'must not contain control characters';
  if (name.includes('\\')) return "must use '/' between folders, not '\\'";
  if (name.startsWith('/')) return 'must be relative to the Desktop, not an absolute path';
  const segments = segmentsOf(name);
  if (segments.some((s) => s === '..')) return "must stay inside the Desktop: '..' is not allowed";
  if (segments.some((s) => s === '' || s === '.')) return "must not contain empty or '.' segments";
  if (longestSegmentBytes(name) > MAX_SEGMENT_BYTES) return `must have segments of at most ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

/** The path the API shows: `deployments/<deploymentId>/<fileName>` (seed 004). */
export const storagePathOf = (deploymentId: string, fileName: string): string => `deployments/${deploymentId}/${fileName}`;

/** The S3 key behind a storage path: the tenant comes right after the surface prefix. */
export const objectKeyOf = (tenant: string, deploymentId: string, fileName: string): string =>
  `deployments/${tenant}/${deploymentId}/${fileName}`;

/** Splits a storage path into its deployment and file name, or says why it is not one. */
export function parseStoragePath(path: string): { deploymentId: string; fileName: string } | { problem: string } {
  const match = /^deployments\/([^/]+)\/(.+)$/s.exec(path);
  if (!match) return { problem: 'must look like deployments/<deploymentId>/<fileName>' };
  if (!DEPLOYMENT_ID.test(match[1])) return { problem: `has a malformed deployment id "${match[1]}"` };
  const problem = fileNameProblem(match[2]);
  return problem ? { problem: `fileName ${problem}` } : { deploymentId: match[1], fileName: match[2] };
}
