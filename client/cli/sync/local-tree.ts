import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { globToRegExp } from '../../../lambdas/shared/glob';
import { mapLimit } from '../../../lambdas/shared/map-limit';
import { pathProblem } from '../../../lambdas/shared/sync-paths';

/** Always skipped, at any depth: push never sends them, pull never writes into them. */
export const ALWAYS_IGNORED = ['.git', 'node_modules'];
/** Temporary files of an interrupted pull. */
export const TEMP_MARKER = '.satchel-tmp-';
export const IGNORE_FILE = '.satchelignore';

export interface LocalFile {
  /** Workspace path: relative POSIX, NFC. */
  path: string;
  absolute: string;
  size: number;
  hash: string;
}

/**
 * `.satchelignore` in the root, gitignore-like: one glob per line, `#` comments; a pattern with
 * a `/` (other than a trailing one) is anchored at the root, otherwise it matches a name at any
 * depth; a trailing `/` matches folders only; `!` patterns are not supported.
 */
export function ignoreRules(root: string): (path: string, isDir: boolean) => boolean {
  const file = join(root, IGNORE_FILE);
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/) : [];
  const rules = lines
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const dirOnly = line.endsWith('/');
      const body = line.replace(/\/+$/, '');
      const anchored = body.includes('/');
      return { dirOnly, regexp: globToRegExp(anchored ? body.replace(/^\//, '') : `**/${body}`) };
    });
  return (path, isDir) => rules.some((r) => (!r.dirOnly || isDir) && r.regexp.test(path));
}

/**
 * Whether the folder `root` ignores the workspace path of a file: inside `.git/` or `node_modules/`,
 * or by its `.satchelignore`, the file itself or one of its folders (`build/` covers all in it).
 */
export function ignoredFile(root: string): (path: string) => boolean {
  const ignored = ignoreRules(root);
  return (path) => {
    const segments = path.split('/');
    if (segments.some((s) => ALWAYS_IGNORED.includes(s))) return true;
    for (let i = 1; i < segments.length; i++) if (ignored(segments.slice(0, i).join('/'), true)) return true;
    return ignored(path, false);
  };
}

/** A file found by the walk, before it is hashed. */
export type ListedFile = Omit<LocalFile, 'hash'>;

export interface Listing<F = ListedFile> {
  files: F[];
  /** Local names that cannot be workspace paths, with the reason. */
  skipped: { path: string; reason: string }[];
}

export type Scan = Listing<LocalFile>;

/**
 * Throws unless `root` is a folder this process can list: a mistyped or unreadable folder must
 * never look like an empty one (a push --delete would then remove the whole backup).
 */
export async function checkFolder(root: string): Promise<void> {
  const info = await stat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error(`${root} does not exist: check the folder's name (nothing was sent)`);
    throw new Error(`cannot read ${root}: ${error.message}`);
  });
  if (!info.isDirectory()) throw new Error(`${root} is not a folder: give the folder to sync`);
  await readdir(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the folder ${root} (${error.code ?? error.message}): check its permissions (nothing was sent)`);
  });
}

/**
 * Every regular file under `root` that is not ignored, with its size, sorted by path. Symlinks are
 * skipped. `root` must be a readable folder (checkFolder); an unreadable folder inside it fails the walk.
 */
export async function listTree(root: string): Promise<Listing> {
  await checkFolder(root);
  const ignored = ignoreRules(root);
  const found: { path: string; absolute: string }[] = [];
  const skipped: Listing['skipped'] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = (prefix + entry.name).normalize('NFC');
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!ALWAYS_IGNORED.includes(entry.name) && !ignored(path, true)) await walk(absolute, `${path}/`);
      } else if (entry.isFile() && !entry.name.includes(TEMP_MARKER) && !ignored(path, false)) {
        const problem = pathProblem(path);
        if (problem) skipped.push({ path, reason: problem });
        else found.push({ path, absolute });
      }
    }
  };
  await walk(root, '');
  // names written two ways (NFC and not) are one workspace path: neither may stand for the other
  const seen = new Map<string, number>();
  for (const f of found) seen.set(f.path, (seen.get(f.path) ?? 0) + 1);
  const twins = found.filter((f) => seen.get(f.path) !== 1);
  for (const f of twins)
    skipped.push({
      path: f.path,
      reason: 'another local name is the same name in NFC form (its accents written another way): rename one of them',
    });
  const unique = found.filter((f) => seen.get(f.path) === 1);
  const files = await mapLimit(unique, 16, async (f) => ({ ...f, size: (await stat(f.absolute)).size }));
  return { files: files.sort((a, b) => (a.path < b.path ? -1 : 1)), skipped };
}

/**
 * Where each workspace path of a listing (files and their folders) is on disk. The local names
 * may not be NFC (macOS hands out decomposed accents) while workspace paths are: a pull writes a
 * file of the backup under the local name of the file, or of its nearest folder, already here.
 */
export function localNames(root: string, files: ListedFile[]): (path: string) => string {
  const known = new Map<string, string>();
  for (const f of files) {
    known.set(f.path, f.absolute);
    const segments = relative(root, f.absolute).split(sep);
    for (let i = 1; i < segments.length; i++) known.set(f.path.split('/').slice(0, i).join('/'), join(root, ...segments.slice(0, i)));
  }
  return (path) => {
    const segments = path.split('/');
    for (let i = segments.length; i > 0; i--) {
      const at = known.get(segments.slice(0, i).join('/'));
      if (at) return join(at, ...segments.slice(i));
    }
    return join(root, ...segments);
  };
}

/** Every file of listTree, hashed (SHA-256, lowercase hex). */
export async function scanTree(root: string): Promise<Scan> {
  const listing = await listTree(root);
  return { ...listing, files: await hashFiles(listing.files) };
}

export const hashFiles = (files: ListedFile[]): Promise<LocalFile[]> => mapLimit(files, 16, hashFile);

/** Files up to this size are read in one call: most of a workspace, and much cheaper than a stream. */
const READ_WHOLE_MAX = 1024 * 1024;

/** The file with its SHA-256 (lowercase hex) and its size as read. */
export async function hashFile(file: ListedFile): Promise<LocalFile> {
  const handle = await open(file.absolute, 'r');
  try {
    const { size } = await handle.stat();
    const hash = createHash('sha256');
    if (size <= READ_WHOLE_MAX) {
      const bytes = await handle.readFile();
      return { ...file, size: bytes.length, hash: hash.update(bytes).digest('hex') };
    }
    let read = 0;
    // 1 MiB reads: a sixteenth of the calls (and garbage) of a stream's 64 KiB
    for await (const chunk of handle.createReadStream({ highWaterMark: READ_WHOLE_MAX, autoClose: false })) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
    return { ...file, size: read, hash: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}
