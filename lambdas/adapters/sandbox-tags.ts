/**
 * Tag keys on what the launcher makes for a sandbox (access point, task role, task, task definition revision).
 * The launcher's IAM grants (lib/constructs/sandbox-storage.ts) create and delete only access
 * points that carry both, so it can never delete the file functions' access point.
 */
export const SANDBOX_TAG = { tenant: 'satchel:tenant', deployment: 'satchel:deployment' } as const;
