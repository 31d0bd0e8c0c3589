/** Sizes shared by the sync API and its clients (the CLI plans uploads by the same rules). */

/** Largest object S3 stores: 5 TiB. */
export const MAX_FILE_BYTES = 5 * 1024 ** 4;

/** Parts of one multipart upload at most (S3 allows 10,000; fewer keep a presign answer small). 5 TiB needs parts of 2.6 GiB. */
export const MAX_PARTS = 2000;
/** S3's bounds for every part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_BYTES = 5 * 1024 ** 3;

/** `minimum` (the configured part size), grown in whole MiB until the upload needs at most MAX_PARTS parts. */
export function partSizeFor(size: number, minimum: number): number {
  const mib = 1024 * 1024;
  return Math.max(minimum, Math.ceil(size / MAX_PARTS / mib) * mib);
}
