import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { config } from '../../kit/config';

/**
 * The sandbox Desktops: `<sandboxRoot>/<tenant>/<deploymentId>/Desktop`, on EFS in AWS and in a
 * local folder otherwise. The sandbox owns what is inside its Desktop and may plant symlinks, so
 * every path below the root is walked one component at a time, each opened with O_NOFOLLOW.
 *
 * On Linux (Lambda, and Linux hosts) a component is opened through `/proc/self/fd/<parent>/<name>`,
 * which resolves against the already-open parent directory like openat(2): a symlink swapped in
 * after a check cannot redirect the walk. Elsewhere (macOS) the walk re-resolves path strings,
 * which still refuses symlinks but leaves a check-to-use window; docs/files.md says so.
 */

export class DesktopRefusal extends Error {
  constructor(
    readonly code: 'RESOURCE_NOT_FOUND' | 'INVALID_REQUEST' | 'CONFLICT',
    message: string,
  ) {
    super(message);
    this.name = 'DesktopRefusal';
  }
}

const PROC_FD = '/proc/self/fd';
let procFd: boolean | undefined;
const useProcFd = (): boolean => (procFd ??= existsSync(PROC_FD));

interface Dir {
  handle: FileHandle;
  /** Path of the folder as walked, for the non-Linux fallback. */
  path: string;
}

const childPath = (dir: Dir, name: string): string => (useProcFd() ? `${PROC_FD}/${dir.handle.fd}/${name}` : join(dir.path, name));

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

export const desktopHostPath = (tenant: string, deploymentId: string): string =>
  resolve(config.sandboxRoot, tenant, deploymentId, 'Desktop');

/** `shown` names the folder in refusals: its path below the Desktop, '' for the Desktop and above. */
async function openChildDir(parent: Dir, name: string, create: boolean, shown: string): Promise<Dir> {
  const path = childPath(parent, name);
  if (create) {
    await mkdir(path, 0o755).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  try {
    return { handle: await open(path, DIR_FLAGS), path: join(parent.path, name) };
  } catch (error) {
    throw refusal(error as NodeJS.ErrnoException, shown, 'folder');
  }
}

function refusal(error: NodeJS.ErrnoException, shown: string, kind: 'folder' | 'file'): Error {
  const where = shown ? `"${shown}"` : 'the Desktop';
  switch (error.code) {
    case 'ENOENT':
      return new DesktopRefusal(
        'RESOURCE_NOT_FOUND',
        shown ? `${where} does not exist in the sandbox Desktop` : 'The sandbox Desktop does not exist',
      );
    case 'ELOOP':
    case 'ENOTDIR':
    case 'EMLINK':
      return new DesktopRefusal(
        'INVALID_REQUEST',
        `${where} is a symlink or not a ${kind}; Satchel does not follow links out of the Desktop`,
      );
    case 'EISDIR':
      return new DesktopRefusal('INVALID_REQUEST', `${where} is a folder, not a file`);
    default:
      return error;
  }
}

/** Opens the Desktop and the folders of `folders` below it (creating them when asked); closes what it opened on failure. */
async function walk(tenant: string, deploymentId: string, folders: string[], create: boolean): Promise<Dir[]> {
  const root = resolve(config.sandboxRoot);
  if (create) await mkdir(root, { recursive: true });
  const opened: Dir[] = [];
  try {
    // the root is ours (it may itself be a symlink, e.g. to a mount point); below it nothing is followed
    opened.push({ handle: await open(root, constants.O_RDONLY | constants.O_DIRECTORY), path: root });
    for (const name of [tenant, deploymentId, 'Desktop']) opened.push(await openChildDir(opened.at(-1)!, name, create, ''));
    for (let i = 0; i < folders.length; i++) {
      opened.push(await openChildDir(opened.at(-1)!, folders[i], create, folders.slice(0, i + 1).join('/')));
    }
    return opened;
  } catch (error) {
    await closeAll(opened);
    throw error;
  }
}

const closeAll = (dirs: Dir[]) => Promise.all(dirs.map((d) => d.handle.close().catch(() => undefined)));

const split = (fileName: string) => {
  const segments = fileName.split('/');
  return { folders: segments.slice(0, -1), base: segments.at(-1)! };
};

/** Creates the Desktop folder of a sandbox; returns its host path. */
export async function ensureDesktop(tenant: string, deploymentId: string): Promise<string> {
  await closeAll(await walk(tenant, deploymentId, [], true));
  return desktopHostPath(tenant, deploymentId);
}

/** Removes a sandbox's folder (the Desktop and everything in it); rm does not follow symlinks. */
export async function removeSandboxFolder(tenant: string, deploymentId: string): Promise<void> {
  await rm(resolve(config.sandboxRoot, tenant, deploymentId), { recursive: true, force: true });
}

/**
 * Streams `source` into `<Desktop>/<fileName>`: parent folders are created (never through a
 * symlink), bytes go to a temporary name in the same folder, the size is checked, then a
 * rename makes the whole file appear at once. Returns the bytes written.
 */
export async function writeIntoDesktop(
  tenant: string,
  deploymentId: string,
  fileName: string,
  source: Readable,
  expectedSize: number,
): Promise<number> {
  const { folders, base } = split(fileName);
  const dirs = await walk(tenant, deploymentId, folders, true);
  const parent = dirs.at(-1)!;
  // not derived from `base`: any name of up to 255 bytes must leave room for the temporary one
  const temp = `.satchel-part-${randomBytes(6).toString('hex')}`;
  let file: FileHandle | undefined;
  try {
    // O_EXCL with O_CREAT never follows a symlink, whatever sits at the temporary name
    file = await open(childPath(parent, temp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    // writeFile on a handle writes the whole chunk at the current position, retrying short writes
    for await (const chunk of source) await file.writeFile(chunk as Uint8Array);
    const { size } = await file.stat();
    if (size !== expectedSize) throw new DesktopRefusal('CONFLICT', `copied ${size} bytes but the stored file has ${expectedSize}`);
    await file.close();
    file = undefined;
    await rename(childPath(parent, temp), childPath(parent, base)).catch((error: NodeJS.ErrnoException) => {
      throw refusal(error, fileName, 'file');
    });
    return size;
  } catch (error) {
    await file?.close().catch(() => undefined);
    await unlink(childPath(parent, temp)).catch(() => undefined);
    throw error;
  } finally {
    await closeAll(dirs);
  }
}

export interface DesktopFile {
  handle: FileHandle;
  size: number;
  close(): Promise<void>;
}

/**
 * Opens `<Desktop>/<fileName>` for reading without following a symlink anywhere below the root.
 * O_NONBLOCK keeps a planted FIFO from hanging the open; fstat on the open handle (not the path)
 * decides that it is a regular file.
 */
export async function openInDesktop(tenant: string, deploymentId: string, fileName: string): Promise<DesktopFile> {
  const { folders, base } = split(fileName);
  const dirs = await walk(tenant, deploymentId, folders, false);
  try {
    let handle: FileHandle;
    try {
      handle = await open(childPath(dirs.at(-1)!, base), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      throw refusal(error as NodeJS.ErrnoException, fileName, 'file');
    }
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      throw new DesktopRefusal('INVALID_REQUEST', `"${fileName}" is not a regular file`);
    }
    return { handle, size: stats.size, close: () => handle.close() };
  } finally {
    await closeAll(dirs);
  }
}
