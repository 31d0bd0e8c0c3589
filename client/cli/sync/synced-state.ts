import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { folderCacheFile } from './folder-cache';

/**
 * What a folder and the backup last agreed on: per workspace path, the SHA-256 both held after the
 * last push or pull of this folder (in the user's cache, beside the push journal). It tells a file
 * edited here from a stale copy, and a file another device changed in the backup from an old one
 * here, so neither a pull nor a push replaces a change it has not seen. A folder never synced (or
 * whose cache was cleared) has no state: then every difference counts as a change on both sides.
 */
export class SyncedState {
  private constructor(
    private readonly file: string,
    private readonly hashes: Map<string, string>,
  ) {}

  static async load(baseUrl: string, dir: string, agentId: string | undefined): Promise<SyncedState> {
    const file = folderCacheFile('synced', 'json', baseUrl, dir, agentId);
    const text = await readFile(file, 'utf8').catch(() => '{}');
    let saved: unknown;
    try {
      saved = JSON.parse(text);
    } catch {
      saved = {}; // unreadable: as if never synced, which only makes both commands more careful
    }
    const entries = Object.entries(typeof saved === 'object' && saved !== null ? saved : {}).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    );
    return new SyncedState(file, new Map(entries));
  }

  /** The hash both sides held for `path` after the last sync of this folder, if any. */
  get(path: string): string | undefined {
    return this.hashes.get(path);
  }

  /** Both sides now hold these bytes for `path`. */
  set(path: string, hash: string): void {
    this.hashes.set(path, hash);
  }

  /** Neither side holds `path` any more. */
  delete(path: string): void {
    this.hashes.delete(path);
  }

  /**
   * Written whole through a temporary file, so an interrupted write leaves the last state. A cache
   * that cannot be written (read-only) fails nothing the command did: `warn` hears it.
   */
  async save(warn?: (message: string) => void): Promise<void> {
    const temp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(temp, JSON.stringify(Object.fromEntries(this.hashes)));
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      warn?.(
        `cannot record what this folder synced (${(error as NodeJS.ErrnoException).code ?? (error as Error).message} at ${this.file}): ` +
          'the next push or pull reports the files that differ from the backup as changed on both sides; set XDG_CACHE_HOME to a writable folder',
      );
    }
  }
}

/**
 * The files no reason holds back; each one held goes into `held` with its reason (a push's `held`,
 * a pull's `kept`).
 */
export function withoutHeld<T extends string | { path: string }>(
  files: T[],
  held: { path: string; reason: string }[],
  reasonOf: (file: T) => string | undefined,
): T[] {
  return files.filter((file) => {
    const reason = reasonOf(file);
    if (reason) held.push({ path: typeof file === 'string' ? file : file.path, reason });
    return !reason;
  });
}

/** Both sides changed a file since this folder last synced it (or it never synced it): the user picks. */
const CHOOSE =
  "keep the version you want (pull into another folder to compare), then push with --overwrite to keep this one, or pull with --overwrite to take the backup's";

/**
 * Why a push must not replace the backup's version of a file, or undefined when it may: the backup
 * changed since this folder last synced it (another device pushed), or this folder never synced it.
 */
export function backupChangedProblem(state: SyncedState, path: string, local: string, backup: string | undefined): string | undefined {
  const synced = state.get(path);
  if (backup === undefined || backup === synced) return undefined;
  if (synced === local)
    return 'the backup has a newer version (pushed from elsewhere since this folder last synced): pull it first, or push with --overwrite to replace it';
  return `${synced === undefined ? 'differs from the backup, and this folder never synced it' : 'changed here and in the backup since this folder last synced'}: ${CHOOSE}`;
}

/**
 * Why a pull must not replace a local file with the backup's version, or undefined when it may: the
 * file changed here since this folder last synced it, or this folder never synced it.
 */
export function localChangedProblem(state: SyncedState, path: string, local: string, backup: string): string | undefined {
  const synced = state.get(path);
  if (synced === local) return undefined;
  if (synced === backup)
    return "changed here since this folder last synced: push it, or pull with --overwrite to replace it with the backup's";
  return `${synced === undefined ? 'differs from the backup, and this folder never synced it' : 'changed here and in the backup since this folder last synced'}: ${CHOOSE}`;
}

/**
 * Why `push --delete` must not remove a backup file this folder lacks, or undefined when it may:
 * another device added or changed it in the backup since this folder last synced it.
 */
export function backupDeleteProblem(state: SyncedState, path: string, backup: string): string | undefined {
  const synced = state.get(path);
  if (synced === backup) return undefined;
  return `${synced === undefined ? 'added to the backup since this folder last synced (or never synced here)' : 'changed in the backup since this folder last synced'}: pull it, or push with --delete --overwrite to remove it from the backup`;
}

/**
 * Why `pull --delete` must not remove a local file the backup lacks, or undefined when it may: the
 * file was never pushed from this folder, or changed here since this folder last synced it.
 */
export function localDeleteProblem(state: SyncedState, path: string, local: string): string | undefined {
  const synced = state.get(path);
  if (synced === local) return undefined;
  return `${synced === undefined ? 'not in the backup, and never pushed from this folder' : 'changed here since this folder last synced, and the backup no longer has it'}: push it, or pull with --delete --overwrite to remove it`;
}
