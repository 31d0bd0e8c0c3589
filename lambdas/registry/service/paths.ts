import { badRequest } from '../../kit/errors';
import { hasControlCharacter, normaliseAbsolute } from '../../shared/path-rules';

/**
 * Paths of the agent's machine, normalised lexically: the server cannot see that disk, so
 * symlinks are not followed. POSIX rules: `.` and empty segments dropped, `..` removes the
 * segment before it (and stays at `/` at the top), no trailing slash except for `/` itself.
 */
export const MAX_PATH_LENGTH = 4096;

export function normalisePath(raw: string, field: string): string {
  if (raw.trim() === '') throw badRequest(`${field} is required and must not be empty`);
  if (!raw.startsWith('/')) throw badRequest(`${field} must be an absolute path (starting with "/"), got "${raw}"`);
  if (hasControlCharacter(raw)) throw badRequest(`${field} must not contain control characters`);
  const path = normaliseAbsolute(raw);
  if (path.length > MAX_PATH_LENGTH) throw badRequest(`${field} is longer than ${MAX_PATH_LENGTH} characters`);
  return path;
}

/** Extra directories: absolute, blanks skipped, normalised, de-duplicated (first wins), the root itself dropped. */
export function normaliseAddDirs(raw: readonly string[], root: string): string[] {
  const dirs: string[] = [];
  raw.forEach((dir, index) => {
    if (dir.trim() === '') return;
    const path = normalisePath(dir, `add_dirs[${index}]`);
    if (path !== root && !dirs.includes(path)) dirs.push(path);
  });
  return dirs;
}

/** The last segment of a normalised path; `/` has none. */
export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Every directory from `path` up to `/`, deepest first: `/a/b` -> `/a/b`, `/a`, `/`. */
export function selfAndAncestors(path: string): string[] {
  const out = [path];
  for (let current = path; current !== '/'; ) {
    current = current.slice(0, current.lastIndexOf('/')) || '/';
    out.push(current);
  }
  return out;
}
