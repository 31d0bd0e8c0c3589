import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { mapLimit } from '../../../lambdas/kit/map-limit';
import type { SatchelClient } from '../../sdk';
import type { AgentOption, Confirmation, Manifest, MultipartUrls, PresignEntry, RestoreMode, SignedUrl } from '../../sdk/sync';
import { readBody, transfer } from './transfer';
import { scanTree, TEMP_MARKER, type LocalFile, type Scan } from './local-tree';
import { silentProgress, type Progress } from './progress';
import { PushJournal } from './push-journal';

/** Files above this size go up as S3 multipart uploads. */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
const PRESIGN_BATCH = 1000;
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

const sameContent = (local: LocalFile, remote: Manifest['files'][string] | undefined) =>
  remote !== undefined && remote.hash === local.hash && remote.size === local.size;

function diff(scan: Scan, manifest: Manifest, withDelete: boolean | undefined): PushPlan {
  const upload = scan.files.filter((f) => !sameContent(f, manifest.files[f.path]));
  const local = new Set(scan.files.map((f) => f.path));
  const remove = withDelete ? Object.keys(manifest.files).filter((p) => !local.has(p)) : [];
  return { upload, remove, skipped: scan.skipped, unchanged: scan.files.length - upload.length };
}

/** What a push would do: new and changed files to upload, remote-only files to delete (with `--delete`). */
export async function planPush(client: SatchelClient, dir: string, options: SyncOptions & { delete?: boolean } = {}): Promise<PushPlan> {
  const [scan, manifest] = await Promise.all([scanTree(dir), client.syncGetManifest(options)]);
  return diff(scan, manifest, options.delete);
}

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

async function readRange(absolute: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(absolute, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length); // filled below, or thrown away
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, start + read);
      if (bytesRead === 0) throw new Error(`${absolute} changed while uploading`);
      read += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

async function uploadSmall(file: LocalFile, signed: SignedUrl): Promise<void> {
  await withRetries(async () => readBody(await transfer('PUT', signed.url, signed.headers, await readRange(file.absolute, 0, file.size))));
}

async function uploadMultipart(client: SatchelClient, file: LocalFile, plan: MultipartUrls, concurrency: number, o: AgentOption): Promise<void> {
  const parts = await mapLimit(plan.parts, Math.min(concurrency, 4), async (part) => {
    const etag = await withRetries(async () => {
      const res = await transfer('PUT', part.url, part.headers, await readRange(file.absolute, (part.partNumber - 1) * plan.partSize, part.size));
      await readBody(res);
      return String(res.headers.etag ?? '');
    });
    return { partNumber: part.partNumber, etag };
  });
  await client.syncCompleteMultipart({ path: file.path, uploadId: plan.uploadId, parts }, o);
}

export interface PushResult extends PushPlan {
  uploadedBytes: number;
  conflicts: string[];
}

/**
 * Uploads new and changed files (parallel, bounded), confirms them in batches, and with
 * `delete` removes remote files gone locally. A re-run after an interruption uploads only what
 * the manifest does not hold yet.
 */
export async function push(client: SatchelClient, dir: string, options: SyncOptions & { delete?: boolean } = {}): Promise<PushResult> {
  const planned = await planPush(client, dir, options);
  const progress = options.progress ?? silentProgress;
  const concurrency = options.concurrency ?? 16;
  const o: AgentOption = { agentId: options.agentId };
  const journal = PushJournal.for(client.http.options.baseUrl, dir, options.agentId);
  const plan = { ...planned, upload: await withoutResumed(client, planned.upload, await journal.uploaded(), o) };
  for (const s of plan.skipped) options.warn?.(`skipped ${JSON.stringify(s.path)}: ${s.reason}`);
  const conflicts: string[] = [];
  let uploadedBytes = 0;
  let pending: Confirmation[] = [];
  // confirms run in the background while uploads continue, two at a time: one is checked
  // against S3 while the other is written to the manifest
  const confirming: Promise<void>[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (!batch.length) return;
    if (confirming.length >= CONFIRMS_IN_FLIGHT) await confirming.shift();
    const done = client.syncConfirmUpload({ files: batch }, o).then(({ results }) => {
      for (const r of results) if (r.status === 'conflict') (conflicts.push(r.filePath), options.warn?.(r.error.message));
    });
    // awaited later; this only keeps an early failure from being reported as unhandled
    done.catch(() => undefined);
    confirming.push(done);
  };
  progress.add(plan.upload.length, plan.upload.reduce((n, f) => n + f.size, 0));
  try {
    for (let i = 0; i < plan.upload.length; i += PRESIGN_BATCH) {
      const batch = plan.upload.slice(i, i + PRESIGN_BATCH);
      // a large file is presigned on its own, just before its upload: its URLs then last for it alone
      const single = batch.filter((f) => f.size <= (options.multipartThreshold ?? MULTIPART_THRESHOLD));
      const { urls } = single.length
        ? await client.syncPresign({ files: single.map((f) => ({ path: f.path, operation: 'put' as const, hash: f.hash, size: f.size })) }, o)
        : { urls: [] as PresignEntry[] };
      const signedUrls = new Map(single.map((f, i) => [f.path, urls[i] as SignedUrl]));
      const uploadOne = async (file: LocalFile) => {
        const signed = signedUrls.get(file.path);
        if (signed) await uploadSmall(file, signed);
        else {
          const plan = await client.syncPresign({ files: [{ path: file.path, operation: 'multipart', hash: file.hash, size: file.size }] }, o);
          await uploadMultipart(client, file, plan.urls[0] as MultipartUrls, concurrency, o);
        }
        uploadedBytes += file.size;
        progress.done(file.path, file.size);
        const upload = { filePath: file.path, hash: file.hash, size: file.size };
        await journal.record(upload);
        pending.push(upload);
        if (pending.length >= CONFIRM_BATCH || pending.reduce((n, c) => n + c.size, 0) >= CONFIRM_BATCH_BYTES) await flush();
      };
      // many small files in parallel; large ones a few at a time, as S3 clients do by default
      await Promise.all([
        mapLimit(batch.filter((f) => f.size <= LARGE_FILE), concurrency, uploadOne),
        mapLimit(batch.filter((f) => f.size > LARGE_FILE), Math.min(concurrency, 4), uploadOne),
      ]);
      await flush();
    }
    await Promise.all(confirming);
    await journal.clear();
    await mapLimit(plan.remove, concurrency, (path) => client.syncDeleteFile(path, o));
  } finally {
    await journal.close();
    progress.stop();
  }
  return { ...plan, uploadedBytes, conflicts };
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

export interface PullPlanEntry {
  path: string;
  hash: string;
  size: number;
  url: string;
}

/** Downloads up to this size are hashed and written from memory; larger ones are streamed. */
const BUFFERED_DOWNLOAD_MAX = 8 * 1024 * 1024;

function checkDownload(entry: PullPlanEntry, digest: string, size: number): void {
  if (digest !== entry.hash || size !== entry.size) {
    throw Object.assign(new Error(`${entry.path}: downloaded ${size} bytes with SHA-256 ${digest}, expected ${entry.size} bytes with ${entry.hash}`), {
      permanent: true,
    });
  }
}

/** Writes into a temporary file beside the target, renamed into place once its hash is right. */
async function download(root: string, entry: PullPlanEntry, folders: Set<string>): Promise<void> {
  const target = join(root, ...entry.path.split('/'));
  const folder = dirname(target);
  if (!folders.has(folder)) (await mkdir(folder, { recursive: true }), folders.add(folder));
  const temp = join(folder, `.${randomBytes(6).toString('hex')}${TEMP_MARKER}`);
  try {
    await withRetries(async () => {
      const res = await transfer('GET', entry.url, {});
      if (entry.size <= BUFFERED_DOWNLOAD_MAX) {
        const bytes = await readBody(res);
        checkDownload(entry, createHash('sha256').update(bytes).digest('hex'), bytes.length);
        await writeFile(temp, bytes);
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      res.on('data', (chunk: Buffer) => (hash.update(chunk), (size += chunk.length)));
      await pipeline(res, createWriteStream(temp));
      checkDownload(entry, hash.digest('hex'), size);
    });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export interface PullResult {
  downloaded: number;
  downloadedBytes: number;
  unchanged: number;
}

/**
 * Downloads the files of a restore bundle that differ locally, verifies every hash, and writes
 * each through a temporary file renamed into place. Local files the bundle lacks are kept.
 */
export async function pull(client: SatchelClient, dir: string, options: SyncOptions & { mode?: RestoreMode } = {}): Promise<PullResult> {
  const progress = options.progress ?? silentProgress;
  const local = new Map((await scanTree(dir)).files.map((f) => [f.path, f]));
  const o: AgentOption = { agentId: options.agentId };
  let downloaded = 0;
  let downloadedBytes = 0;
  let unchanged = 0;
  await mkdir(dir, { recursive: true });
  const folders = new Set<string>([dir]);
  // one pool across pages: the next page is fetched while the last downloads of this one run
  const running = new Set<Promise<void>>();
  let failure: unknown;
  try {
    for await (const page of client.syncReconstructPages({ mode: options.mode ?? 'full' }, o)) {
      const wanted = page.files.filter((f) => {
        const mine = local.get(f.path);
        return !(mine && mine.hash === f.hash && mine.size === f.size);
      });
      unchanged += page.files.length - wanted.length;
      progress.add(wanted.length, wanted.reduce((n, f) => n + f.size, 0));
      for (const f of wanted) {
        while (running.size >= (options.concurrency ?? 16)) await Promise.race(running);
        if (failure) break;
        const task: Promise<void> = download(dir, f, folders)
          .then(() => {
            downloaded++;
            downloadedBytes += f.size;
            progress.done(f.path, f.size);
          })
          .catch((error: unknown) => void (failure ??= error))
          .finally(() => running.delete(task));
        running.add(task);
      }
      if (failure) break;
    }
    await Promise.all(running);
    if (failure) throw failure;
  } finally {
    progress.stop();
  }
  return { downloaded, downloadedBytes, unchanged };
}

export interface Status extends PushPlan {
  /** Remote files that differ from (or are missing in) the local tree: what a full pull would fetch. */
  download: string[];
}

/** What would move, in both directions, without moving anything. */
export async function status(client: SatchelClient, dir: string, options: SyncOptions & { delete?: boolean } = {}): Promise<Status> {
  const [scan, manifest] = await Promise.all([scanTree(dir), client.syncGetManifest(options)]);
  const local = new Map(scan.files.map((f) => [f.path, f]));
  const download = Object.entries(manifest.files)
    .filter(([path, remote]) => {
      const mine = local.get(path);
      return !mine || !sameContent(mine, remote);
    })
    .map(([path]) => path);
  return { ...diff(scan, manifest, options.delete), download };
}
