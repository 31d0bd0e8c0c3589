import { badRequest } from '../../kit/errors';
import { pathProblem } from '../../shared/sync-paths';

/** The path itself when valid; otherwise a 400 naming the path and the reason. */
export function checkPath(path: string, field = 'path'): string {
  const problem = pathProblem(path);
  if (problem) throw badRequest(`${field} ${JSON.stringify(path)} ${problem}`);
  return path;
}

/** A listing prefix: like a path, but may be empty or end with "/" (a folder) or with a partial name. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const problem = pathProblem(prefix.endsWith('/') ? `${prefix}x` : prefix);
  if (problem) throw badRequest(`prefix ${JSON.stringify(prefix)} ${problem}`);
  return prefix;
}
/** The sync service's checks of client paths: 400 naming the path and the rule it breaks (rules: shared/sync-paths.ts). */
