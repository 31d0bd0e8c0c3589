import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { mapLimit } from '../../../lambdas/shared/map-limit';
import { partSizeFor } from '../../../lambdas/shared/sync-limits';
import type { SatchelClient } from '../../sdk';
import type { AgentOption, Confirmation, Manifest, MultipartUrls, RestoreMode, SignedUrl } from '../../sdk/sync';
import { BodyTooLong, readBody, transfer, TransferError, type OnBytes } from './transfer';
import {
  hashFile,
  hashFiles,
  ignoredFile,
  listTree,
  localNames,
  scanTree,
  TEMP_MARKER,
  type ListedFile,
  type Listing,
  type LocalFile,
} from './local-tree';
import { silentProgress, type Progress } from '../progress';
import { PushJournal } from './push-journal';
import { entryProblem, symlinkedParent, type CheckedEntry } from './restore-target';
import {
  backupChangedProblem,
  backupDeleteProblem,
  localChangedProblem,
  localDeleteProblem,
  SyncedState,
  withoutHeld,
} from './synced-state';

/** Files above this size go up as S3 multipart uploads. */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
const PRESIGN_BATCH = 1000;
/** Files hashed and presigned before the first upload starts. */
const FIRST_PRESIGN_BATCH = 100;
/** Files above this size upload at most 4 at a time. */
const LARGE_FILE = 1024 * 1024;
/** Two full manifest transactions on the server (99 files each). */
const CONFIRM_BATCH = 198;
/** A confirm batch is also sent once it holds this many bytes, so the server's checks overlap the uploads. */
const CONFIRM_BATCH_BYTES = 16 * 1024 * 1024;
const CONFIRMS_IN_FLIGHT = 2;

export interface SyncOptions extends AgentOption {
  /** Files above this many bytes upload as multipart (default 64 MiB). */
  multipartThreshold?: number;
  /** Part size of multipart uploads (default 64 MiB, grown so no upload needs more than 2,000 parts). */
  partSize?: number;
  /** Transfers in flight at once (default 16). */
  concurrency?: number;
  progress?: Progress;
  /** Receives warnings (skipped local names, conflicts). */
  warn?: (message: string) => void;
}

export interface PushPlan {
  upload: LocalFile[];
  remove: string[];
  skipped: { path: string; reason: string }[];
  unchanged: number;
}

export interface DeleteSafety {
  /** Remove even when the deletes pass the safety limit (all files, or more than a quarter of them). */
  force?: boolean;
  /** Plan only: report what would move and be removed, change nothing. */
  dryRun?: boolean;
  /**
   * Replace the other side's version even when it changed since this folder last synced (push: the
   * backup's, pull: the local file); without it such files are left as they are and reported.
   */
  overwrite?: boolean;
}

/** Up to this many deletes need no --force (unless they are every file). */
const FREE_DELETES = 10;
/** Above FREE_DELETES, deletes of more than this share of the files need --force. */
const FORCE_SHARE = 0.25;

/**
 * Deletes that need --force: every file of a non-empty side, or more than FREE_DELETES files when
 * they are more than a quarter of it. A mistyped folder or a wrong server then stops instead of
 * emptying a backup or a folder.
 */
export function deletesNeedForce(removing: number, total: number): boolean {
  return removing > 0 && (removing >= total || (removing > FREE_DELETES && removing > total * FORCE_SHARE));
}

function checkDeletes(what: string, removing: string[], total: number, force: boolean | undefined): void {
  if (force || !deletesNeedForce(removing.length, total)) return;
  const share = removing.length >= total ? `every one of the ${total} files` : `${removing.length} of ${total} files`;
  throw new Error(
    `--delete would remove ${share} ${what} (${removing.slice(0, 3).join(', ')}${removing.length > 3 ? ', …' : ''}). ` +
      'Nothing was removed. Check the folder, list the deletes with --dry-run, and add --force to remove them.',
  );
}

const sameContent = (local: LocalFile, remote: Manifest['files'][string] | undefined) =>
  remote !== undefined && remote.hash === local.hash && remote.size === local.size;

/** Remote files gone locally: what `--delete` removes. */
const remoteOnly = (dir: string, local: Listing, manifest: Manifest) => {
  // a local name push skips (not a workspace path, an NFC twin) is still here
  const present = new Set([...local.files, ...local.skipped].map((f) => f.path));
  // nor is a path this folder ignores gone: it stays in the backup (as rsync and rclone keep excluded files)
  const ignored = ignoredFile(dir);
  return Object.keys(manifest.files).filter((p) => !present.has(p) && !ignored(p));
};

async function withRetries<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || (error as { permanent?: boolean }).permanent) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 200 * 2 ** attempt));
    }
  }
}

/** One attempt of a transfer, its bytes reported as they move; a failed attempt's bytes are taken back. */
async function counted<T>(progress: Progress, path: string, attempt: (onBytes: OnBytes) => Promise<T>): Promise<T> {
  let moved = 0;
  try {
    return await attempt((n) => {
      moved += n;
      progress.advance(path, n);
    });
  } catch (error) {
    progress.advance(path, -moved);
    throw error;
  }
}

/**
 * A file that changed or vanished between its hashing and its upload: it ran short, is gone, or S3
 * refused its bytes against the signed SHA-256. Retrying cannot help; the next push sends it.
 */
class FileChanged extends Error {
  readonly permanent = true;
}

/** The error of an upload attempt, as FileChanged when S3 found other bytes than the signed SHA-256. */
const asFileChanged = (error: unknown): unknown =>
  error instanceof TransferError && error.status === 400 && /BadDigest/.test(error.message) ? new FileChanged(error.message) : error;

async function readRange(absolute: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(absolute, 'r').catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT' ? new FileChanged(`${absolute} is gone`) : error;
  });
  try {
    const buffer = Buffer.allocUnsafe(length); // filled below, or thrown away
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, start + read);
      if (bytesRead === 0) throw new FileChanged(`${absolute} changed while uploading`);
      read += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

/**
 * PUTs a small file. A put presigned with its hash and size may only create its key: a 412 means an
 * earlier attempt stored it already (its answer was lost), and S3 took those bytes only with their
 * signed SHA-256 and size.
 */
async function uploadSmall(file: LocalFile, signed: SignedUrl, progress: Progress): Promise<void> {
  await withRetries(() =>
    counted(progress, file.path, async (onBytes) => {
      try {
        await readBody(await transfer('PUT', signed.url, signed.headers, await readRange(file.absolute, 0, file.size), onBytes));
      } catch (error) {
        if (!(error instanceof TransferError && error.status === 412 && signed.headers['if-none-match'] === '*'))
          throw asFileChanged(error);
      }
    }),
  );
}

/** The SHA-256 of each part of a file, read in 1 MiB pieces: multipart part URLs sign them. */
async function hashParts(file: LocalFile, partSize: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let start = 0; start < file.size || hashes.length === 0; start += partSize) {
    const hash = createHash('sha256');
    const end = Math.min(start + partSize, file.size);
    for (let at = start; at < end; at += 1024 * 1024) hash.update(await readRange(file.absolute, at, Math.min(1024 * 1024, end - at)));
    hashes.push(hash.digest('hex'));
  }
  return hashes;
}

/** Uploads the parts (each checked by S3 against its SHA-256), completes the upload and returns its id for the confirm. */
async function uploadMultipart(
  client: SatchelClient,
  file: LocalFile,
  partSize: number,
  concurrency: number,
  o: AgentOption,
  progress: Progress,
): Promise<string> {
  const partHashes = await hashParts(file, partSize);
  const presigned = await client.syncPresign(
    { files: [{ path: file.path, operation: 'multipart', hash: file.hash, size: file.size, partSize, partHashes }] },
    o,
  );
  const plan = presigned.urls[0] as MultipartUrls & { error?: { message: string } };
  if (plan.error) throw new Error(`${file.path}: ${plan.error.message}`);
  const parts = await mapLimit(plan.parts, Math.min(concurrency, 4), async (part) => {
    const etag = await withRetries(() =>
      counted(progress, file.path, async (onBytes) => {
        const res = await transfer(
          'PUT',
          part.url,
          part.headers,
          await readRange(file.absolute, (part.partNumber - 1) * plan.partSize, part.size),
          onBytes,
        ).catch((error: unknown) => {
          throw asFileChanged(error);
        });
        await readBody(res);
        return String(res.headers.etag ?? '');
      }),
    );
    return { partNumber: part.partNumber, etag, hash: partHashes[part.partNumber - 1] };
  });
  await client.syncCompleteMultipart({ path: file.path, uploadId: plan.uploadId, parts }, o);
  return plan.uploadId;
}

export interface PushResult extends PushPlan {
  uploadedBytes: number;
  /** Files an interrupted push had uploaded, confirmed by this one without uploading them again. */
  resumed: number;
  conflicts: string[];
  /**
   * Files the push left in the backup as they are: changed there since this folder last synced, or
   * (with `delete`) added there since (see `overwrite`).
   */
  held: { path: string; reason: string }[];
  /** Files the backup held before the push. */
  backupFiles: number;
}

/**
 * Confirms uploads in batches while the uploads go on, two batches at a time: one is checked
 * against S3 while the other is written to the manifest. A full pipeline makes the uploader wait.
 */
class ConfirmQueue {
  readonly conflicts: string[] = [];
  private pending: Confirmation[] = [];
  private pendingBytes = 0;
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly client: SatchelClient,
    private readonly o: AgentOption,
    private readonly warn?: (message: string) => void,
  ) {}

  async add(upload: Confirmation): Promise<void> {
    this.pending.push(upload);
    this.pendingBytes += upload.size;
    if (this.pending.length >= CONFIRM_BATCH || this.pendingBytes >= CONFIRM_BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (!batch.length) return;
    if (this.inFlight.length >= CONFIRMS_IN_FLIGHT) await this.inFlight.shift();
    const done = this.client.syncConfirmUpload({ files: batch }, this.o).then(({ results }) => {
      for (const r of results) {
        if (r.status !== 'conflict') continue;
        this.conflicts.push(r.filePath);
        this.warn?.(r.error.message);
      }
    });
    // awaited in drain(); this only keeps an early failure from being reported as unhandled
    done.catch(() => undefined);
    this.inFlight.push(done);
  }

  async drain(): Promise<void> {
    await this.flush();
    await Promise.all(this.inFlight);
  }
}

/**
 * Uploads new and changed files (parallel, bounded), confirms them in batches, and with
 * `delete` removes remote files gone locally. Small files are hashed together and presigned
 * 1,000 per call; each large one is hashed, presigned and uploaded on its own as soon as a
 * slot is free, so uploading starts without waiting for the whole tree to be hashed. A re-run
 * after an interruption uploads only what the manifest does not hold yet.
 */
export async function push(
  client: SatchelClient,
  dir: string,
  options: SyncOptions & DeleteSafety & { delete?: boolean } = {},
): Promise<PushResult> {
  const o: AgentOption = { agentId: options.agentId };
  const [listing, manifest, state] = await Promise.all([
    listTree(dir),
    client.syncGetManifest(o),
    SyncedState.load(client.http.options.baseUrl, dir, options.agentId),
  ]);
  for (const s of listing.skipped) options.warn?.(`skipped ${JSON.stringify(s.path)}: ${s.reason}`);
  const held: PushResult['held'] = [];
  const remove = withoutHeld(options.delete ? remoteOnly(dir, listing, manifest) : [], held, (path) =>
    options.overwrite ? undefined : backupDeleteProblem(state, path, manifest.files[path].hash),
  );
  const backupFiles = Object.keys(manifest.files).length;
  checkDeletes('of the backup', remove, backupFiles, options.force || options.dryRun);
  /** The files that differ from the backup, less those whose backup version changed since this folder last synced. */
  const notHeld = (differing: LocalFile[]) =>
    withoutHeld(differing, held, (f) =>
      options.overwrite ? undefined : backupChangedProblem(state, f.path, f.hash, manifest.files[f.path]?.hash),
    );
  if (options.dryRun) {
    const hashed = await hashFiles(listing.files);
    const differing = hashed.filter((f) => !sameContent(f, manifest.files[f.path]));
    return {
      upload: notHeld(differing),
      remove,
      skipped: listing.skipped,
      unchanged: hashed.length - differing.length,
      uploadedBytes: 0,
      resumed: 0,
      conflicts: [],
      held,
      backupFiles,
    };
  }
  const progress = options.progress ?? silentProgress;
  const concurrency = options.concurrency ?? 16;
  const journal = PushJournal.for(client.http.options.baseUrl, dir, options.agentId, options.warn);
  const resumable = await journal.uploaded();
  const confirms = new ConfirmQueue(client, o, options.warn);
  const upload: LocalFile[] = [];
  /** Every file hashed: what the backup holds for it after a push that succeeds (unless held or refused). */
  const hashedAll: LocalFile[] = [];
  let unchanged = 0;
  let uploadedBytes = 0;
  let resumed = 0;
  let unhashed = listing.files.length;

  /** The hashed files that differ from the manifest and were not uploaded by an interrupted push. */
  const toUpload = async (hashed: LocalFile[]) => {
    hashedAll.push(...hashed);
    const differing = hashed.filter((f) => !sameContent(f, manifest.files[f.path]));
    unchanged += hashed.length - differing.length;
    const changed = notHeld(differing);
    const wanted = await withoutResumed(client, changed, resumable, o);
    resumed += changed.length - wanted.length;
    upload.push(...wanted);
    progress.add(
      wanted.length,
      wanted.reduce((n, f) => n + f.size, 0),
    );
    unhashed -= hashed.length;
    if (!unhashed) progress.scanned();
    return wanted;
  };
  const uploaded = async (file: LocalFile, uploadId?: string) => {
    uploadedBytes += file.size;
    progress.done(file.path, file.size);
    const confirmation: Confirmation = { filePath: file.path, hash: file.hash, size: file.size, ...(uploadId ? { uploadId } : {}) };
    await journal.record(confirmation);
    await confirms.add(confirmation);
  };
  const presignPut = async (files: LocalFile[]) =>
    (await client.syncPresign({ files: files.map((f) => ({ path: f.path, operation: 'put' as const, hash: f.hash, size: f.size })) }, o))
      .urls as SignedUrl[];

  /** The files hashed; one removed since the listing is left out (with --delete its backup copy stays). */
  const hashPresent = async (listed: ListedFile[]) =>
    (
      await mapLimit(listed, 16, (f) =>
        hashFile(f).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
          unhashed--;
          options.warn?.(`${f.path} was removed while the push ran: not sent`);
          return undefined;
        }),
      )
    ).filter((f): f is LocalFile => f !== undefined);
  /** Sends one file; one that changed while the push ran is left out and reported (the next push sends it). */
  const send = async (file: LocalFile, upload: () => Promise<void>) => {
    try {
      await upload();
    } catch (error) {
      if (!(error instanceof FileChanged)) throw error;
      confirms.conflicts.push(file.path);
      options.warn?.(`${file.path} changed while it was being pushed: not sent; run the push again to send it`);
    }
  };
  /** Hashes a batch of small files, keeps those to upload and presigns them. */
  const prepare = async (listed: ListedFile[]) => {
    const wanted = await toUpload(await hashPresent(listed));
    return { wanted, urls: wanted.length ? await presignPut(wanted) : [] };
  };
  const pushSmall = async (files: ListedFile[]) => {
    // a small first batch, so uploads start while the rest is hashed and presigned
    const batches = [files.slice(0, FIRST_PRESIGN_BATCH)];
    for (let i = FIRST_PRESIGN_BATCH; i < files.length; i += PRESIGN_BATCH) batches.push(files.slice(i, i + PRESIGN_BATCH));
    let next: ReturnType<typeof prepare> | undefined = prepare(batches[0]);
    for (let b = 0; next; b++) {
      const { wanted, urls } = await next;
      // the next batch is hashed and presigned while this one uploads
      next = b + 1 < batches.length ? prepare(batches[b + 1]) : undefined;
      try {
        await mapLimit(wanted, concurrency, async (file, j) => {
          const refused = (urls[j] as { error?: { message: string } }).error;
          if (refused) {
            confirms.conflicts.push(file.path);
            options.warn?.(refused.message);
            return;
          }
          await send(file, async () => {
            await uploadSmall(file, urls[j], progress);
            await uploaded(file, urls[j].uploadId);
          });
        });
      } catch (error) {
        // nothing of the push may still run once it has failed
        await next?.catch(() => undefined);
        throw error;
      }
    }
  };
  // a large file is presigned just before its upload: its URLs then last for it alone
  const pushLarge = async (listed: ListedFile) => {
    const [file] = await toUpload(await hashPresent([listed]));
    if (!file) return;
    await send(file, async () => {
      if (file.size <= (options.multipartThreshold ?? MULTIPART_THRESHOLD)) {
        const [signed] = await presignPut([file]);
        await uploadSmall(file, signed, progress);
        await uploaded(file, signed.uploadId);
      } else {
        const partSize = partSizeFor(file.size, options.partSize ?? MULTIPART_THRESHOLD);
        await uploaded(file, await uploadMultipart(client, file, partSize, concurrency, o, progress));
      }
    });
  };

  try {
    // many small files in parallel; large ones a few at a time, as S3 clients do by default
    await Promise.all([
      pushSmall(listing.files.filter((f) => f.size <= LARGE_FILE)),
      mapLimit(
        listing.files.filter((f) => f.size > LARGE_FILE),
        Math.min(concurrency, 4),
        pushLarge,
      ),
    ]);
    await confirms.drain();
    await journal.clear();
    await mapLimit(remove, concurrency, (path) => client.syncDeleteFile(path, o));
    const notPushed = new Set([...confirms.conflicts, ...held.map((h) => h.path)]);
    for (const f of hashedAll) if (!notPushed.has(f.path)) state.set(f.path, f.hash);
    for (const path of remove) state.delete(path);
    await state.save(options.warn);
  } finally {
    await journal.close();
    progress.stop();
  }
  return { upload, remove, skipped: listing.skipped, unchanged, uploadedBytes, resumed, conflicts: confirms.conflicts, held, backupFiles };
}

/** Confirms what an interrupted push had already uploaded; returns the files that still need uploading. */
async function withoutResumed(client: SatchelClient, upload: LocalFile[], uploaded: Confirmation[], o: AgentOption): Promise<LocalFile[]> {
  const key = (c: Confirmation) => `${c.filePath}\0${c.hash}\0${c.size}`;
  const wanted = new Set(upload.map((f) => key({ filePath: f.path, hash: f.hash, size: f.size })));
  const candidates = uploaded.filter((c) => wanted.has(key(c)));
  const confirmed = new Set<string>();
  for (let i = 0; i < candidates.length; i += CONFIRM_BATCH) {
    const { results } = await client.syncConfirmUpload({ files: candidates.slice(i, i + CONFIRM_BATCH) }, o);
    for (const r of results) if (r.status !== 'conflict') confirmed.add(r.filePath);
  }
  return upload.filter((f) => !confirmed.has(f.path));
}

type PullPlanEntry = CheckedEntry;

/**
 * Files per restore page the CLI asks for. Each next page is asked for as soon as the one before
 * arrives, and must arrive before that one's downloads end: the server signs a file in ~0.2 ms, a
 * download takes ~1 ms (local runtime, 4 KiB), so pages grow from a small first one (downloads
 * start sooner) by at most ~3× to the full size (a 1,000-file second page came ~0.1 s after the
 * downloads of a 100-file first page had ended).
 */
const FIRST_RESTORE_PAGES = [100, 300];
const RESTORE_PAGE = 1000;

/** Downloads up to this size are hashed and written from memory; larger ones are streamed. */
const BUFFERED_DOWNLOAD_MAX = 8 * 1024 * 1024;

/** A download whose bytes are not those its entry names: the server's fault, retrying cannot help. */
class BadDownload extends Error {
  readonly permanent = true;
}

function checkDownload(entry: PullPlanEntry, digest: string, size: number): void {
  if (digest !== entry.hash || size !== entry.size)
    throw new BadDownload(`downloaded ${size} bytes with SHA-256 ${digest}, expected ${entry.size} bytes with ${entry.hash}`);
}

/**
 * Where a pull writes: temporary names beside their targets (one random tag per pull, then a
 * counter). A pull stopped by Ctrl-C (progress exits the process) leaves no temporary file behind.
 */
class RestoreWriter {
  private readonly folders: Set<string>;
  private readonly tag = randomBytes(6).toString('hex');
  private count = 0;
  private readonly temps = new Set<string>();
  private readonly removeTemps = () => {
    for (const temp of this.temps) rmSync(temp, { force: true });
  };

  constructor(root: string) {
    this.folders = new Set([root]);
    process.on('exit', this.removeTemps);
  }

  close(): void {
    process.off('exit', this.removeTemps);
  }

  /** Writes into a temporary file beside the target, renamed into place once its hash is right. */
  async download(target: string, entry: PullPlanEntry, progress: Progress): Promise<void> {
    const folder = dirname(target);
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    const temp = join(folder, `.${this.tag}-${(this.count++).toString(36)}${TEMP_MARKER}`);
    this.temps.add(temp);
    try {
      await withRetries(() =>
        counted(progress, entry.path, async (onBytes) => {
          const res = await transfer('GET', entry.url, {});
          if (entry.size <= BUFFERED_DOWNLOAD_MAX) {
            const bytes = await readBody(res, onBytes, entry.size);
            checkDownload(entry, createHash('sha256').update(bytes).digest('hex'), bytes.length);
            // one blocking write of bytes already in memory: cheaper than three thread-pool round trips
            // (open, write, close), which cost more CPU than the write itself for the many small files
            writeFileSync(temp, bytes);
            return;
          }
          const hash = createHash('sha256');
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > entry.size) return void res.destroy(new BodyTooLong(entry.size));
            hash.update(chunk);
            onBytes(chunk.length);
          });
          await pipeline(res, createWriteStream(temp));
          checkDownload(entry, hash.digest('hex'), size);
        }),
      );
      renameSync(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    } finally {
      this.temps.delete(temp);
    }
  }
}

/** The pages of `pages`, each next one asked for as soon as the one before arrives. */
async function* readAhead<T>(pages: AsyncIterator<T>): AsyncGenerator<T> {
  let next = pages.next();
  for (;;) {
    const page = await next;
    if (page.done) return;
    next = pages.next();
    // a failure is seen when the page is awaited; this only keeps one nobody awaits (a stopped pull) from crashing
    next.catch(() => undefined);
    yield page.value;
  }
}

export interface PullResult {
  downloaded: number;
  downloadedBytes: number;
  unchanged: number;
  /** Local files removed because the backup lacks them (`delete`); with `dryRun`, what would be. */
  removed: string[];
  /** With `dryRun`: what would be downloaded. */
  wouldDownload: string[];
  /** Entries of the server's answer that the CLI refused to write, with the reason. */
  refused: { path: string; reason: string }[];
  /** Backup files not written because this folder's .satchelignore ignores them (push never sends them either). */
  ignored: string[];
  /** Backup files not written because what is here in their place is kept, with the reason. */
  kept: { path: string; reason: string }[];
}

/**
 * Downloads the files of a restore bundle that differ locally, verifies every hash, and writes
 * each through a temporary file renamed into place. Nothing the server sends is trusted: an
 * entry whose path breaks the upload rules or leaves the folder is refused (reported in `refused`)
 * and the rest is restored. A local file changed since this folder last synced (unless
 * `overwrite`), or a folder, file or symlinked folder in a file's way, is kept (reported in
 * `kept`). Local files the bundle lacks are kept, or with `delete` (full restores only, once every
 * download succeeded and nothing was refused or kept) removed, so the folder ends up as the backup; removing every local file or more
 * than a quarter of them needs `force`. Ignored files (.git/, node_modules/, .satchelignore) are
 * never touched.
 */
export async function pull(
  client: SatchelClient,
  dir: string,
  options: SyncOptions & DeleteSafety & { mode?: RestoreMode; delete?: boolean } = {},
): Promise<PullResult> {
  const mode = options.mode ?? 'full';
  if (options.delete && mode !== 'full')
    throw new Error(`delete (--delete) needs a full restore (--mode full): the ${mode} mode restores only part of the backup`);
  const progress = options.dryRun ? silentProgress : (options.progress ?? silentProgress);
  // a restore may create its folder; one that exists must be readable
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  // hashed only where a backup file of the same path and size could already be here
  const listed = exists ? (await listTree(dir)).files : [];
  const state = await SyncedState.load(client.http.options.baseUrl, dir, options.agentId);
  const isIgnored = exists ? ignoredFile(dir) : () => false;
  const ignored: string[] = [];
  const local = new Map(listed.map((f) => [f.path, f]));
  const targetOf = localNames(dir, listed);
  const inBackup = new Set<string>();
  const refused: PullResult['refused'] = [];
  const kept: PullResult['kept'] = [];
  const wouldDownload = new Set<string>();
  const o: AgentOption = { agentId: options.agentId };
  let downloaded = 0;
  let downloadedBytes = 0;
  let unchanged = 0;
  if (!options.dryRun) await mkdir(dir, { recursive: true });
  const writer = new RestoreWriter(dir);
  const checkedFolders = new Set<string>();
  /** Checks one entry of the server's answer: the entry to restore, or undefined (refused, reported). */
  const accept = async (f: unknown): Promise<CheckedEntry | undefined> => {
    const entry = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    const reason = entryProblem(dir, entry as never);
    if (reason) {
      refused.push({ path: typeof entry.path === 'string' ? entry.path : JSON.stringify(entry.path), reason });
      return undefined;
    }
    const path = entry.path as string;
    if (isIgnored(path)) return void ignored.push(path);
    const inTheWay = await symlinkedParent(dir, path, checkedFolders);
    if (inTheWay) kept.push({ path, reason: `${inTheWay}: move or rename it, then pull again` });
    else if (inBackup.has(path)) refused.push({ path, reason: 'the path appears twice in the answer' });
    else {
      inBackup.add(path);
      return entry as unknown as CheckedEntry;
    }
    return undefined;
  };
  /**
   * Keeps a local file of the same content, and one changed here since this folder last synced
   * (unless `overwrite`); otherwise downloads the entry (or, dry, notes it).
   */
  const restore = async (f: CheckedEntry) => {
    const mine = local.get(f.path);
    // with overwrite, a file of another size is replaced unread
    if (mine !== undefined && (mine.size === f.size || !options.overwrite)) {
      const { hash } = await hashFile(mine);
      if (hash === f.hash && mine.size === f.size) {
        state.set(f.path, f.hash);
        return void unchanged++;
      }
      const reason = options.overwrite ? undefined : localChangedProblem(state, f.path, hash, f.hash);
      if (reason) return void kept.push({ path: f.path, reason });
    }
    if (options.dryRun) return void wouldDownload.add(f.path);
    progress.add(1, f.size);
    try {
      await writer.download(targetOf(f.path), f, progress);
    } catch (error) {
      // a local folder of the file's name: the file is not written over it (nor into it)
      const inTheWay = (error as NodeJS.ErrnoException).code === 'EISDIR';
      if (!inTheWay && !(error instanceof BadDownload || error instanceof BodyTooLong)) throw error;
      if (inTheWay) progress.advance(f.path, -f.size); // a failed download's bytes are already taken back
      progress.add(-1, -f.size);
      if (inTheWay) kept.push({ path: f.path, reason: 'a folder of that name is here: move or rename it, then pull again' });
      else refused.push({ path: f.path, reason: (error as Error).message });
      return;
    }
    state.set(f.path, f.hash);
    downloaded++;
    downloadedBytes += f.size;
    progress.done(f.path, f.size);
  };
  // one pool across pages, while the next page is signed (readAhead); each entry is checked as its
  // turn comes, so checking a page (20-60 ms for 1,000 entries) never holds the downloads up
  const running = new Set<Promise<void>>();
  // the loop waits here for a free slot (a race over every running task costs more)
  let slotFreed: (() => void) | undefined;
  let failure: unknown;
  try {
    const pages = client.syncReconstructPages({ mode, firstLimits: FIRST_RESTORE_PAGES, limit: RESTORE_PAGE }, o);
    for await (const page of readAhead(pages)) {
      for (const f of page.files as unknown[]) {
        const entry = await accept(f);
        if (!entry) continue;
        while (running.size >= (options.concurrency ?? 16)) await new Promise<void>((resolve) => (slotFreed = resolve));
        if (failure) break;
        const task: Promise<void> = restore(entry)
          .catch((error: unknown) => {
            failure ??= error;
          })
          .finally(() => {
            running.delete(task);
            slotFreed?.();
          });
        running.add(task);
      }
      if (failure) break;
    }
    progress.scanned();
    await Promise.all(running);
    if (failure) throw failure;
  } finally {
    // after a failed page or download, the downloads under way end (and remove their temporary files) first
    await Promise.allSettled(running);
    writer.close();
    progress.stop();
  }
  const gone = options.delete && refused.length === 0 && kept.length === 0 ? [...local.keys()].filter((path) => !inBackup.has(path)) : [];
  const reasons = await mapLimit(gone, 16, async (path) =>
    options.overwrite ? undefined : localDeleteProblem(state, path, (await hashFile(local.get(path) as ListedFile)).hash),
  );
  gone.forEach((path, i) => {
    const reason = reasons[i];
    if (reason) kept.push({ path, reason });
  });
  const removed = gone.filter((_, i) => !reasons[i]);
  checkDeletes('of the folder', removed, local.size, options.force || options.dryRun);
  if (!options.dryRun) {
    for (const path of removed) {
      await rm(local.get(path)?.absolute as string, { force: true });
      state.delete(path);
    }
    await state.save(options.warn);
  }
  // in the server's order, as the entries came
  return {
    downloaded,
    downloadedBytes,
    unchanged,
    removed,
    wouldDownload: [...inBackup].filter((p) => wouldDownload.has(p)),
    ignored,
    refused,
    kept,
  };
}

export interface Status extends PushPlan {
  /** Remote files that differ from (or are missing in) the local tree: what a full pull would fetch. */
  download: string[];
  /** What a push would leave in the backup as it is (see PushResult.held). */
  held: PushResult['held'];
  /** Local files a full pull would keep instead of the backup's version (see PullResult.kept). */
  kept: PullResult['kept'];
}

/** What push and a full pull would move, in both directions, without moving anything. */
export async function status(client: SatchelClient, dir: string, options: SyncOptions & { delete?: boolean } = {}): Promise<Status> {
  const [scan, manifest, state] = await Promise.all([
    scanTree(dir),
    client.syncGetManifest(options),
    SyncedState.load(client.http.options.baseUrl, dir, options.agentId),
  ]);
  const local = new Map(scan.files.map((f) => [f.path, f]));
  const isIgnored = ignoredFile(dir);
  const held: Status['held'] = [];
  const kept: Status['kept'] = [];
  const download = Object.entries(manifest.files)
    .filter(([path, remote]) => {
      const mine = local.get(path);
      if (!mine) return !isIgnored(path);
      // edited here only: the push's (the pull would keep it, with nothing newer to fetch)
      if (sameContent(mine, remote) || state.get(path) === remote.hash) return false;
      const reason = localChangedProblem(state, path, mine.hash, remote.hash);
      if (reason) kept.push({ path, reason });
      return !reason;
    })
    .map(([path]) => path);
  const differing = scan.files.filter((f) => !sameContent(f, manifest.files[f.path]));
  const upload = withoutHeld(differing, held, (f) => backupChangedProblem(state, f.path, f.hash, manifest.files[f.path]?.hash));
  const remove = withoutHeld(options.delete ? remoteOnly(dir, scan, manifest) : [], held, (path) =>
    backupDeleteProblem(state, path, manifest.files[path].hash),
  );
  return { upload, remove, skipped: scan.skipped, unchanged: scan.files.length - differing.length, download, held, kept };
}
