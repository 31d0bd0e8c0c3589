import { lstat } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import { pathProblem } from '../../../lambdas/shared/sync-paths';
import { MAX_FILE_BYTES } from '../../../lambdas/shared/sync-limits';
import { ALWAYS_IGNORED, TEMP_MARKER } from './local-tree';

/** One file of a restore bundle, as the server sent it: nothing in it is trusted yet. */
export interface BundleEntry {
  path: unknown;
  hash: unknown;
  size: unknown;
  url: unknown;
}

export interface CheckedEntry {
  path: string;
  hash: string;
  size: number;
  url: string;
}

/**
 * Why the CLI refuses to write a bundle entry, or undefined when it may: the path must be a
 * workspace path by the same rules as uploads, outside `.git/` and `node_modules/`, and resolve
 * inside the folder; hash, size and URL must have their documented forms.
 */
export function entryProblem(root: string, entry: BundleEntry): string | undefined {
  if (typeof entry.path !== 'string') return 'the path is not a string';
  const problem = pathProblem(entry.path);
  if (problem) return `the path ${problem}`;
  const segments = entry.path.split('/');
  if (segments.some((s) => ALWAYS_IGNORED.includes(s)))
    return `the path is inside ${ALWAYS_IGNORED.join('/ or ')}/, which satchel never writes`;
  if (segments.some((s) => s.includes(TEMP_MARKER))) return 'the path names a temporary file of satchel';
  const inside = relative(root, join(root, ...segments));
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
    return 'the path resolves outside the folder';
  if (typeof entry.hash !== 'string' || !/^[0-9a-f]{64}$/.test(entry.hash)) return 'the hash is not a lowercase hexadecimal SHA-256';
  if (typeof entry.size !== 'number' || !Number.isSafeInteger(entry.size) || entry.size < 0 || entry.size > MAX_FILE_BYTES)
    return 'the size is not a valid byte count';
  if (typeof entry.url !== 'string' || !/^https?:\/\//i.test(entry.url)) return 'the URL is not an http(s) URL';
  return undefined;
}

/**
 * Refuses a target whose existing parent folders include a symlink: writing through it could land
 * outside the folder. Folders that do not exist yet are created as real folders later. `checked`
 * remembers folders (relative to the root) already found to be real or missing (satchel creates
 * them, as real folders), so a restore looks at each folder once, not once per file; a file whose
 * folder is known costs one lookup.
 */
export async function symlinkedParent(root: string, path: string, checked = new Set<string>()): Promise<string | undefined> {
  const folder = path.slice(0, Math.max(0, path.lastIndexOf('/')));
  if (folder === '' || checked.has(folder)) return undefined;
  let current = '';
  for (const segment of folder.split('/')) {
    current = current ? `${current}/${segment}` : segment;
    if (checked.has(current)) continue;
    const info = await lstat(join(root, current)).catch(() => undefined);
    if (info?.isSymbolicLink()) return `its folder ${current} is a symbolic link`;
    if (info && !info.isDirectory()) return `${current} is a file, not a folder`;
    checked.add(current);
  }
  return undefined;
}
