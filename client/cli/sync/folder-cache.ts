import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A file of the user's cache (`$XDG_CACHE_HOME/satchel/<kind>/`, else `~/.cache/…`) kept for one
 * folder synced with one agent of one API: never inside the folder, so it is never pushed.
 */
export function folderCacheFile(kind: string, extension: string, baseUrl: string, dir: string, agentId: string | undefined): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const id = createHash('sha256')
    .update(`${baseUrl}\0${resolve(dir)}\0${agentId ?? ''}`)
    .digest('hex')
    .slice(0, 32);
  return join(cache, 'satchel', kind, `${id}.${extension}`);
}
