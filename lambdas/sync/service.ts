import { config } from '../kit/config';
import { badRequest, conflict, notFound, tooLarge, tooManyRequests } from '../kit/errors';
import { mapLimit } from '../kit/map-limit';
import { restoreSelection, savedSessions, type RestoreMode, type SavedSession } from './modes';
import { completeMultipart, deleteObject, objectKey, partCount, presignGet, presignMultipart, presignPut, readObjectText, verifyObject } from './objects';
import { checkPath, checkPrefix } from './paths';
import {
  applyChanges,
  FILES_PER_TRANSACTION,
  getEntries,
  getHeader,
  queryEntries,
  registerAgent,
  type AgentHeader,
  type AgentRef,
  type EntryChange,
  type FileEntry,
} from './store';

/** Workspace sync (seed 000): the files and saved sessions of one agent. Layout: see store.ts and objects.ts. */

/** Manifest pages stay well under Lambda's 6 MB response limit. */
const MANIFEST_PAGE_BYTES = 4 * 1024 * 1024;
const RESTORE_PAGE_FILES = 1000;
/** Part URLs one presign call signs (~600 bytes each: the answer stays far below Lambda's 6 MB). */
const MAX_PART_URLS = 4000;
/** Objects checked at once by a batch confirm. */
const VERIFY_CONCURRENCY = 32;
/** Attempts at a manifest transaction before giving up with 409 (concurrent writers of one agent). */
const WRITE_ATTEMPTS = 8;
const now = () => new Date().toISOString();
const backoff = (attempt: number) => new Promise((r) => setTimeout(r, attempt === 0 ? 0 : Math.random() * 25 * 2 ** attempt));

function agentView(h: AgentHeader) {
  return {
    agentId: h.agentId,
    displayName: h.displayName ?? h.agentId,
    status: h.fileCount > 0 ? ('synced' as const) : ('registered' as const),
    fileCount: h.fileCount,
    totalSize: h.totalSize,
    lastSync: h.lastSync ?? null,
  };
}

const sessionView = (s: SavedSession) => ({ sessionId: s.sessionId, path: s.entry.path, size: s.entry.size, modified: s.entry.modified });

const publicEntry = (e: FileEntry) => ({ path: e.path, hash: e.hash, size: e.size, modified: e.modified });

export const encodeCursor = (path: string): string => Buffer.from(path, 'utf8').toString('base64url');

function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const path = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(path) !== cursor) throw badRequest('cursor is not one this API returned');
  return checkPath(path, 'cursor');
}

export async function register(agent: AgentRef, displayName: string | undefined) {
  return { agent: agentView(await registerAgent(agent, displayName, now())) };
}

export async function getManifest(agent: AgentRef, options: { cursor?: string; limit?: number }) {
  const header = await getHeader(agent);
  const page = await queryEntries(agent, { after: decodeCursor(options.cursor), limit: options.limit, budgetBytes: MANIFEST_PAGE_BYTES });
  const files: Record<string, { hash: string; size: number; modified: string }> = {};
  for (const e of page.entries) files[e.path] = { hash: e.hash, size: e.size, modified: e.modified };
  return {
    version: header.version,
    agentId: agent.agentId,
    lastSync: header.lastSync ?? null,
    files,
    ...(page.lastPath !== undefined ? { nextCursor: encodeCursor(page.lastPath) } : {}),
  };
}

export interface PresignRequest {
  path: string;
  operation: 'put' | 'get' | 'multipart';
  contentType?: string;
  hash?: string;
  size?: number;
}

export async function presign(agent: AgentRef, files: PresignRequest[]) {
  const multipart = files.filter((f) => f.operation === 'multipart').length;
  if (multipart > config.maxMultipartUploadsPerCall) {
    // each one is an open upload S3 keeps (and bills) until completed or aborted
    throw tooManyRequests(`files: ${multipart} multipart uploads in one call; one call may open at most ${config.maxMultipartUploadsPerCall} (presign the others in later calls)`, 1);
  }
  let parts = 0;
  for (const f of files) {
    if (f.operation !== 'multipart') continue;
    if (f.size === undefined || f.hash === undefined) throw badRequest(`files: multipart upload of ${JSON.stringify(f.path)} needs its size and hash`);
    parts += partCount(f.size);
  }
  if (parts > MAX_PART_URLS) {
    throw badRequest(`files: these multipart uploads need ${parts} part URLs; one call signs at most ${MAX_PART_URLS} (presign large files in separate calls)`);
  }
  const gets = files.filter((f) => f.operation === 'get').map((f) => f.path);
  const entries = gets.length ? await getEntries(agent, gets) : new Map<string, FileEntry>();
  const urls = await mapLimit(files, 32, async (f) => {
    const key = objectKey(agent, f.path);
    if (f.operation === 'put') return { path: f.path, operation: f.operation, ...(await presignPut(key, f)) };
    if (f.operation === 'multipart') {
      return { path: f.path, operation: f.operation, method: 'PUT', ...(await presignMultipart(key, { contentType: f.contentType, size: f.size as number })) };
    }
    const entry = entries.get(f.path);
    if (!entry) return { path: f.path, operation: f.operation, status: 404, error: { code: 'RESOURCE_NOT_FOUND', message: `${JSON.stringify(f.path)} is not in the manifest` } };
    return { path: f.path, operation: f.operation, hash: entry.hash, size: entry.size, ...(await presignGet(key, entry.versionId)) };
  });
  return { urls };
}

export async function finishMultipart(agent: AgentRef, input: { path: string; uploadId: string; parts: { partNumber: number; etag: string }[] }) {
  try {
    await completeMultipart(objectKey(agent, input.path), input.uploadId, input.parts);
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'NoSuchUpload') throw notFound(`No multipart upload ${input.uploadId} for ${JSON.stringify(input.path)}`);
    if (['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall'].includes(name)) throw badRequest(`parts: ${(error as Error).message}`);
    throw error;
  }
  return { path: input.path, completed: true };
}

export interface Confirmation {
  filePath: string;
  hash: string;
  size: number;
}

export type ConfirmResult =
  | { filePath: string; status: 'confirmed' | 'unchanged'; hash: string; size: number; modified: string }
  | { filePath: string; status: 'conflict'; error: { code: 'CONFLICT'; message: string } };

/**
 * Records uploads after checking each stored object; a file whose object is missing or differs
 * gets a conflict result and leaves its manifest entry as it was. Confirming twice is harmless.
 */
export async function confirmUploads(agent: AgentRef, requested: Confirmation[]): Promise<{ version: number; results: ConfirmResult[] }> {
  const files = requested.map((f) => ({ ...f, hash: f.hash.toLowerCase() }));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.filePath)) throw badRequest(`files: ${JSON.stringify(f.filePath)} appears twice`);
    seen.add(f.filePath);
  }
  const checks = await mapLimit(files, VERIFY_CONCURRENCY, (f) => verifyObject(objectKey(agent, f.filePath), f));
  const results = new Map<string, ConfirmResult>();
  const verified: FileEntry[] = [];
  const modified = now();
  files.forEach((f, i) => {
    const check = checks[i];
    if (!check.ok) {
      results.set(f.filePath, { filePath: f.filePath, status: 'conflict', error: { code: 'CONFLICT', message: `Cannot confirm ${JSON.stringify(f.filePath)}: ${check.reason}` } });
    } else {
      verified.push({ path: f.filePath, hash: f.hash, size: f.size, modified, ...(check.versionId ? { versionId: check.versionId } : {}) });
    }
  });
  for (let i = 0; i < verified.length; i += FILES_PER_TRANSACTION) {
    const chunk = verified.slice(i, i + FILES_PER_TRANSACTION);
    for (const r of await recordChunk(agent, chunk, modified)) results.set(r.filePath, r);
  }
  const header = await getHeader(agent);
  return { version: header.version, results: files.map((f) => results.get(f.filePath) as ConfirmResult) };
}

/** One transaction per chunk; re-read and retried when another writer changed a file meanwhile. */
async function recordChunk(agent: AgentRef, chunk: FileEntry[], modified: string): Promise<ConfirmResult[]> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    await backoff(attempt);
    const previous = await getEntries(agent, chunk.map((e) => e.path));
    const unchanged = (e: FileEntry) => {
      const p = previous.get(e.path);
      return p !== undefined && p.hash === e.hash && p.size === e.size && p.versionId === e.versionId;
    };
    const changes: EntryChange[] = chunk.filter((e) => !unchanged(e)).map((e) => ({ path: e.path, previous: previous.get(e.path), next: e }));
    if (await applyChanges(agent, changes, modified, true)) {
      return chunk.map((e) => {
        const kept = unchanged(e) ? (previous.get(e.path) as FileEntry) : e;
        return { filePath: e.path, status: unchanged(e) ? 'unchanged' : 'confirmed', hash: kept.hash, size: kept.size, modified: kept.modified };
      });
    }
  }
  throw conflict('The manifest kept changing while confirming; try again');
}

/** A single confirm: the recorded entry, or 409 when the stored object is missing or differs. */
export async function confirmOne(agent: AgentRef, file: Confirmation) {
  const { version, results } = await confirmUploads(agent, [file]);
  const result = results[0];
  if (result.status === 'conflict') throw conflict(result.error.message);
  return { ...result, version };
}

export async function reconstruct(agent: AgentRef, options: { mode: RestoreMode; cursor?: string; limit?: number }) {
  const header = await getHeader(agent);
  const select = await restoreSelection(agent, options.mode, new Date());
  const limit = options.limit ?? RESTORE_PAGE_FILES;
  const chosen: FileEntry[] = [];
  let after = decodeCursor(options.cursor);
  let exhausted = false;
  while (!exhausted && chosen.length < limit) {
    const page = await queryEntries(agent, { after, limit: RESTORE_PAGE_FILES });
    let read = 0;
    for (; read < page.entries.length && chosen.length < limit; read++) {
      const entry = page.entries[read];
      after = entry.path;
      if (select(entry)) chosen.push(entry);
    }
    exhausted = page.lastPath === undefined && read === page.entries.length;
  }
  const files = await mapLimit(chosen, 32, async (e) => {
    const signed = await presignGet(objectKey(agent, e.path), e.versionId);
    return { ...publicEntry(e), url: signed.url, expiresAt: signed.expiresAt };
  });
  return { mode: options.mode, version: header.version, files, ...(!exhausted && after !== undefined ? { nextCursor: encodeCursor(after) } : {}) };
}

export async function listFiles(agent: AgentRef, options: { prefix?: string; cursor?: string; limit?: number }) {
  const prefix = checkPrefix(options.prefix ?? '');
  const after = decodeCursor(options.cursor);
  if (after !== undefined && !after.startsWith(prefix)) throw badRequest('cursor does not belong to this prefix');
  const page = await queryEntries(agent, { prefix, after, limit: options.limit ?? 1000 });
  return { files: page.entries.map(publicEntry), ...(page.lastPath !== undefined ? { nextCursor: encodeCursor(page.lastPath) } : {}) };
}

export async function getStats(agent: AgentRef) {
  const [header, sessions] = await Promise.all([getHeader(agent), savedSessions(agent)]);
  return {
    agentId: agent.agentId,
    fileCount: header.fileCount,
    totalSize: header.totalSize,
    lastSyncAt: header.lastSync ?? null,
    lastConfirmAt: header.lastConfirmAt ?? null,
    sessionCount: sessions.length,
    version: header.version,
    registeredAt: header.registeredAt ?? null,
  };
}

export async function listSessions(agent: AgentRef) {
  return { sessions: (await savedSessions(agent)).map(sessionView) };
}

export async function getSession(agent: AgentRef, sessionId: string) {
  const found = (await savedSessions(agent)).find((s) => s.sessionId === sessionId);
  if (!found) throw notFound(`No saved session ${JSON.stringify(sessionId)}`);
  const e = found.entry;
  const key = objectKey(agent, e.path);
  const limit = config.syncSessionInlineMaxBytes;
  if (e.size > limit) {
    const signed = await presignGet(key, e.versionId);
    throw tooLarge(`Session ${JSON.stringify(sessionId)} is ${e.size} bytes, more than the ${limit} bytes returned inline: download it from url`, {
      url: signed.url,
      expiresAt: signed.expiresAt,
      size: e.size,
    });
  }
  return { ...sessionView(found), content: await readObjectText(key, e.versionId) };
}

/** Removes the manifest entry first, then the object: a failure in between leaves only unreferenced bytes. */
export async function deleteFile(agent: AgentRef, path: string) {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    await backoff(attempt);
    const previous = (await getEntries(agent, [path])).get(path);
    if (!previous) return { removed: false };
    if (await applyChanges(agent, [{ path, previous }], now(), false)) {
      await deleteObject(objectKey(agent, path));
      return { removed: true };
    }
  }
  throw conflict(`${JSON.stringify(path)} kept changing while deleting; try again`);
}
