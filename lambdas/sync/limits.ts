/** Sizes shared by the sync API and its clients (the CLI plans uploads by the same rules). */

/** Largest object S3 stores: 5 TiB. */
export const MAX_FILE_BYTES = 5 * 1024 ** 4;
