import { config } from '../../kit/config';
import { AppError, badRequest, conflict, notFound, tooLarge, tooManyRequests } from '../../kit/errors';
import { decodeCursor, encodeCursor } from '../../kit/cursor';
import { backoff as waitBackoff } from '../../shared/time';
import { logger } from '../../kit/observability';
import { mapLimit } from '../../shared/map-limit';
import {
  blobKey,
  directKey,
  directLocation,
  entryKey,
  isDirectLocation,
  locationKey,
  multipartKey,
  multipartLocation,
  newCopyLocation,
  stagingKey,
} from './keys';
import { lastPutNonceAt, newNonce, newPutNonce, parseUploadId, putNonce, putUploadId, uploadIdFor } from '../../shared/sync-upload-ids';
import { MAX_PARTS } from '../../shared/sync-limits';
import { restoreSelection, savedSessions, type RestoreMode, type SavedSession } from './modes';
import {
  completeMultipart,
  copyObject,
  defaultPartSize,
  deleteObject,
  expiresAt,
  markUnconfirmed,
  partSizes,
  presignGet,
  presignPut,
  readObjectText,
  signParts,
  startMultipart,
  takeDirectUpload,
  verifyMultipart,
  verifyObject,
  MISSING_UPLOAD,
  type Verification,
} from './objects';
import { pathProblem } from '../../shared/sync-paths';
import { checkPath, checkPrefix } from './paths';
import {
  applyChanges,
  claimUpload,
  FILES_PER_TRANSACTION,
  getEntries,
  getHeader,
  getRecords,
  isFile,
  isTombstone,
  queryEntries,
  registerAgent,
  type AgentHeader,
  type ScopeRef,
  type EntryChange,
  type FileEntry,
  type PathRecord,
  type Tombstone,
} from './store';
import type { Confirmation, ConfirmResult } from '../../contracts/sync';

/** Workspace sync (seed 000): the files and saved sessions of one agent. Layout: see store.ts and keys.ts. */

/** Objects checked at once by a batch confirm. */
const VERIFY_CONCURRENCY = 32;
/** Attempts at a manifest transaction before giving up with 409 (concurrent writers of one agent). */
const WRITE_ATTEMPTS = 8;
/** Manifest entries one restore call reads at most: a mode that selects few files answers in bounded time. */
const RESTORE_SCAN_ENTRIES = 50000;
/** Room kept in a page for the envelope and the fields beside the list. */
const ENVELOPE_BYTES = 1024;
const now = () => new Date().toISOString();
const backoff = (attempt: number) => (attempt === 0 ? Promise.resolve() : waitBackoff(attempt, { baseMs: 25, capMs: Infinity }));
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

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

/** The path a page ended at, in the kit's cursor codec. */
function decodePathCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  return checkPath(
    decodeCursor(
      cursor,
      () => true,
      () => badRequest('cursor is not one this API returned'),
    ),
    'cursor',
  );
}

/**
 * A list answer that did not fit one response. A call with `cursor` or `limit` asked for pages and
 * gets `nextCursor`; a call without either expects the whole answer (as seed clients do), so it
 * gets a 413 it cannot mistake for a complete list.
 */
function responseTooLarge(what: string): AppError {
  return new AppError(
    413,
    'RESPONSE_TOO_LARGE',
    `${what} does not fit one response: send \`limit\` (and then each \`nextCursor\` as \`cursor\`) to read it in pages`,
  );
}

const pageBudget = () => config.syncResponseBytes - ENVELOPE_BYTES;

export async function register(agent: ScopeRef, displayName: string | undefined) {
  return { agent: agentView(await registerAgent(agent, displayName, now())) };
}

export async function getManifest(agent: ScopeRef, options: { cursor?: string; limit?: number }) {
  const paged = options.cursor !== undefined || options.limit !== undefined;
  const header = await getHeader(agent);
  const page = await queryEntries(agent, { after: decodePathCursor(options.cursor), limit: options.limit, budgetBytes: pageBudget() });
  if (page.lastPath !== undefined && !paged) throw responseTooLarge(`The manifest of ${header.fileCount} files`);
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
  partSize?: number;
  partHashes?: string[];
}

const refusal = (f: PresignRequest, status: number, code: string, message: string) => ({
  path: f.path,
  operation: f.operation,
  status,
  error: { code, message },
});

/** Why one file of a presign cannot be signed (its entry then carries a 400), or undefined. */
function presignProblem(f: PresignRequest, index: number): string | undefined {
  const field = `files.${index}`;
  const problem = pathProblem(f.path);
  if (problem) return `${field}.path ${JSON.stringify(f.path)} ${problem}`;
  if (f.operation !== 'multipart') {
    return f.partSize !== undefined || f.partHashes !== undefined
      ? `${field}: partSize and partHashes belong to multipart uploads`
      : undefined;
  }
  if (f.size === undefined || f.hash === undefined)
    return `${field}: a multipart upload of ${JSON.stringify(f.path)} needs its size and hash`;
  if ((f.partSize === undefined) !== (f.partHashes === undefined)) return `${field}: send partSize and partHashes together`;
  const count = partSizes(f.size, f.partSize ?? defaultPartSize(f.size)).length;
  if (count > MAX_PARTS)
    return `${field}: ${count} parts of ${f.partSize} bytes; an upload has at most ${MAX_PARTS} parts (choose a larger partSize)`;
  if (f.partHashes && f.partHashes.length !== count)
    return `${field}: ${count} parts of ${f.partSize} bytes need ${count} partHashes, not ${f.partHashes.length}`;
  return undefined;
}

/** JSON bytes of one part entry beside its URL (number, size, headers with the part's checksum). */
const PART_OVERHEAD_BYTES = 150;
/** JSON bytes of a put or get entry beside its URL and path. */
const ENTRY_OVERHEAD_BYTES = 400;
/** Room for the S3 upload id inside each part URL (AWS ids are about 100–200 characters). */
const UPLOAD_ID_BYTES = 200;

/**
 * Signs put, get and multipart URLs. Each file is checked on its own: a bad path or an impossible
 * multipart plan answers that file's entry with status 400 (a get of a file not backed up: 404),
 * and the others are signed. Before anything is signed or started, the answer's size is estimated
 * from one real URL (in AWS URLs carry the role's session token, ~2 KB each): a call whose answer
 * could pass the response budget is refused whole with a 400, so presign answers never pass
 * Lambda's 6 MB limit.
 */
export async function presign(agent: ScopeRef, files: PresignRequest[]) {
  const multipart = files.filter((f) => f.operation === 'multipart').length;
  if (multipart > config.maxMultipartUploadsPerCall) {
    // each one is an open upload S3 keeps (and bills) until completed or aborted
    throw tooManyRequests(
      `files: ${multipart} multipart uploads in one call; one call may open at most ${config.maxMultipartUploadsPerCall} (presign the others in later calls)`,
      1,
    );
  }
  const problems = files.map(presignProblem);
  const probe = (
    await presignPut(blobKey(agent, 'probe', '0'.repeat(64)), {
      contentType: 'application/octet-stream',
      hash: '0'.repeat(64),
      size: 0,
      unconfirmed: true,
    })
  ).url.length;
  let estimate = ENVELOPE_BYTES;
  files.forEach((f, i) => {
    if (problems[i]) return;
    estimate += Buffer.byteLength(f.path) * 2 + ENTRY_OVERHEAD_BYTES + probe;
    if (f.operation === 'multipart') {
      estimate +=
        partSizes(f.size as number, f.partSize ?? defaultPartSize(f.size as number)).length *
        (probe + PART_OVERHEAD_BYTES + UPLOAD_ID_BYTES);
    }
  });
  if (estimate > config.syncResponseBytes) {
    throw badRequest(
      `files: the URLs of these ${files.length} files would take about ${(estimate / 1e6).toFixed(1)} MB, more than one answer carries ` +
        `(${(config.syncResponseBytes / 1e6).toFixed(1)} MB): presign fewer files per call (large multipart files one per call)`,
    );
  }
  const gets = files.filter((f, i) => f.operation === 'get' && !problems[i]).map((f) => f.path);
  const entries = gets.length ? await getEntries(agent, gets) : new Map<string, FileEntry>();
  const urls = await mapLimit(files, 32, async (f, i) => {
    const problem = problems[i];
    if (problem) return refusal(f, 400, 'INVALID_REQUEST', problem);
    if (f.operation === 'put') return { path: f.path, operation: f.operation, ...(await presignSinglePut(agent, f)) };
    if (f.operation === 'multipart') return { path: f.path, operation: f.operation, method: 'PUT', ...(await presignMultipart(agent, f)) };
    const entry = entries.get(f.path);
    if (!entry) return refusal(f, 404, 'RESOURCE_NOT_FOUND', `${JSON.stringify(f.path)} is not in the manifest`);
    return {
      path: f.path,
      operation: f.operation,
      hash: entry.hash,
      size: entry.size,
      ...(await presignGet(entryKey(agent, entry), entry.versionId)),
    };
  });
  return { urls };
}

/**
 * A put with its hash and size goes straight to a key of its own, tagged unconfirmed until its
 * confirm (which names it with the answered `uploadId`); S3 stores there only bytes of that hash
 * and size. Without both, the put is staged under `incoming/`: per content with its hash, else per
 * path, and its confirm checks and copies it.
 */
async function presignSinglePut(agent: ScopeRef, f: PresignRequest) {
  const hash = f.hash?.toLowerCase();
  if (hash === undefined || f.size === undefined) return presignPut(stagingKey(agent, f.path, hash), { ...f, hash });
  const nonce = newPutNonce();
  const key = directKey(agent, f.path, directLocation(nonce), { hash, size: f.size });
  return { uploadId: putUploadId(nonce), ...(await presignPut(key, { ...f, hash, unconfirmed: true })) };
}

/** A multipart upload to a key of its own (`m-<nonce>`), so nothing live is ever overwritten. */
async function presignMultipart(agent: ScopeRef, f: PresignRequest) {
  const hash = (f.hash as string).toLowerCase();
  const size = f.size as number;
  const partSize = f.partSize ?? defaultPartSize(size);
  const partHashes = f.partHashes?.map((h) => h.toLowerCase());
  const nonce = newNonce();
  const key = multipartKey(agent, f.path, nonce);
  const s3UploadId = await startMultipart(key, { contentType: f.contentType, hash, partHashes });
  const parts = await signParts(key, s3UploadId, partSizes(size, partSize), partHashes);
  return { uploadId: uploadIdFor(f.path, nonce, s3UploadId), partSize, parts, expiresAt: expiresAt() };
}

const notOpen = (input: { path: string; uploadId: string }) =>
  notFound(
    `No open multipart upload ${JSON.stringify(input.uploadId)} for ${JSON.stringify(input.path)} (unknown, already completed or aborted, or for another path)`,
  );

/**
 * Assembles a multipart upload. An id that is not open for this path (unknown, completed, another
 * path's) answers 404; the local emulator answers those with an InternalError, mapped here too.
 */
export async function finishMultipart(
  agent: ScopeRef,
  input: { path: string; uploadId: string; parts: { partNumber: number; etag: string; hash?: string }[] },
) {
  const id = parseUploadId(input.path, input.uploadId);
  if (!id) throw notOpen(input);
  try {
    await completeMultipart(multipartKey(agent, input.path, id.nonce), id.s3UploadId, input.parts);
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'NoSuchUpload' || (name === 'InternalError' && config.s3Endpoint !== undefined)) throw notOpen(input);
    if (['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'InvalidRequest', 'BadDigest'].includes(name))
      throw badRequest(`parts: ${(error as Error).message}`);
    throw error;
  }
  return { path: input.path, completed: true };
}

const sameContent = (r: PathRecord | undefined, f: { hash: string; size: number }): r is FileEntry =>
  isFile(r) && r.hash === f.hash && r.size === f.size;

/** Checked bytes a confirm made live at `location`, and when S3 stored them (staged and multipart uploads). */
type Located = { ok: true; location: string; storedAt?: Date } | { ok: false; reason: string };
/** An entry this confirm would write, with when its bytes were stored (not kept in the manifest). */
type Verified = FileEntry & { storedAt?: Date };

/** Whether the path already named this direct put or one presigned after it, or was deleted after it was presigned. */
const supersedes = (record: PathRecord | undefined, nonce: string) => record?.newest !== undefined && record.newest >= nonce;
const SUPERSEDED = 'this upload was already recorded, or one presigned after it was; push the file again if it changed since';
const DELETED = (t: Tombstone) => `the file was deleted after this upload was made (at ${t.deletedAt}); push it again to back it up`;
const wholeSeconds = (ms: number) => Math.floor(ms / 1000);
const directNonce = (e: FileEntry) => (isDirectLocation(e.location) ? (e.location as string).slice(2) : undefined);

/**
 * Why an upload may not be recorded over what the path holds now, or undefined. A direct put is
 * refused once the path named it or a later put, or was deleted after its presign (a delete moves
 * `u` past it). Other uploads carry no presign time: they are refused when the path's delete came
 * in the same second as S3's stamp of their bytes or later (S3 stamps whole seconds; a tie is
 * refused, never recorded: pushing again a moment later records it).
 */
function uploadRefusal(record: PathRecord | undefined, upload: { nonce?: string; storedAt?: Date }): string | undefined {
  if (upload.nonce !== undefined && supersedes(record, upload.nonce)) return isTombstone(record) ? DELETED(record) : SUPERSEDED;
  if (isTombstone(record) && upload.storedAt && wholeSeconds(upload.storedAt.getTime()) <= wholeSeconds(Date.parse(record.deletedAt)))
    return DELETED(record);
  return undefined;
}

/**
 * Finds and checks the bytes of one upload and makes them a key only this confirm may name: a
 * multipart upload's own key, once this confirm has taken the upload (and cleared its unconfirmed
 * tag); else a fresh copy of the staged upload (per content, else per path; or a blob an earlier
 * layout's presign wrote). Staged bytes are left to expire.
 */
async function locateUpload(agent: ScopeRef, f: Confirmation, now: string, current: PathRecord | undefined): Promise<Located> {
  const direct = f.uploadId === undefined ? undefined : putNonce(f.uploadId);
  if (direct !== undefined) {
    const refused = uploadRefusal(current, { nonce: direct });
    if (refused) return { ok: false, reason: refused };
    const location = directLocation(direct);
    const taken = await takeDirectUpload(directKey(agent, f.filePath, location, f));
    return taken.ok ? { ok: true, location } : (taken as Located);
  }
  if (f.uploadId !== undefined) {
    const id = parseUploadId(f.filePath, f.uploadId);
    if (!id) return { ok: false, reason: `the upload ${JSON.stringify(f.uploadId)} was not started for this path` };
    const key = multipartKey(agent, f.filePath, id.nonce);
    const check = await verifyMultipart(key, f);
    if (!check.ok) return check;
    const refused = uploadRefusal(current, check);
    if (refused) return { ok: false, reason: refused };
    if (!(await claimUpload(agent, id.nonce, now)))
      return { ok: false, reason: 'this upload was already confirmed (or is being confirmed); upload the file again' };
    await markUnconfirmed(key, false);
    return { ok: true, location: multipartLocation(id.nonce), storedAt: check.storedAt };
  }
  // a put presigned with this hash and size before direct puts: whatever its key holds has both, so the copy is the check
  const sealed = await copyStaged(agent, f, stagingKey(agent, f.filePath, f.hash, f.size), {});
  if (sealed.ok) return sealed;
  let problem: Verification = MISSING_UPLOAD;
  for (const source of [stagingKey(agent, f.filePath, f.hash), blobKey(agent, f.filePath, f.hash), stagingKey(agent, f.filePath)]) {
    const check = await verifyObject(source, f);
    if (!check.ok) {
      // report what is wrong with bytes that are there
      if (problem === MISSING_UPLOAD) problem = check;
      continue;
    }
    const refused = uploadRefusal(current, check);
    return refused ? { ok: false, reason: refused } : copyStaged(agent, f, source, check);
  }
  return problem as Located;
}

/** Copies staged bytes (that version or ETag, when given) to a fresh key of this file's; a missing source is MISSING_UPLOAD. */
async function copyStaged(
  agent: ScopeRef,
  f: Confirmation,
  source: string,
  version: { versionId?: string; etag?: string; storedAt?: Date },
): Promise<Located> {
  const location = newCopyLocation();
  try {
    await copyObject(source, locationKey(agent, f.filePath, location), version);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return MISSING_UPLOAD as Located;
    if (name === 'PreconditionFailed') return { ok: false, reason: 'the uploaded object changed while it was checked; upload it again' };
    throw error;
  }
  return { ok: true, location, storedAt: version.storedAt };
}

/**
 * Records uploads after checking each stored object; a file whose object is missing or differs
 * gets a conflict result, a file whose path cannot be stored an `invalid` one, and its manifest
 * entry stays as it was. Confirming the content an entry already has changes nothing and reads no
 * object. A replaced file's previous object is removed once the manifest no longer names it, and
 * so is an object this confirm made live that no entry ended up naming: each such key is named by
 * at most one entry ever, so no removal can take bytes another entry names.
 */
export async function confirmUploads(agent: ScopeRef, requested: Confirmation[]): Promise<{ version: number; results: ConfirmResult[] }> {
  const files = requested.map((f) => ({ ...f, hash: f.hash.toLowerCase() }));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.filePath)) throw badRequest(`files: ${JSON.stringify(f.filePath)} appears twice`);
    seen.add(f.filePath);
  }
  const results = new Map<string, ConfirmResult>();
  const storable = files.filter((f, i) => {
    const problem = pathProblem(f.filePath);
    if (problem)
      results.set(f.filePath, {
        filePath: f.filePath,
        status: 'invalid',
        error: { code: 'INVALID_REQUEST', message: `files.${i}.filePath ${JSON.stringify(f.filePath)} ${problem}` },
      });
    return !problem;
  });
  const current = await getRecords(
    agent,
    storable.map((f) => f.filePath),
  );
  const changed = storable.filter((f) => {
    const entry = current.get(f.filePath);
    if (entry && sameContent(entry, f))
      results.set(f.filePath, { filePath: f.filePath, status: 'unchanged', hash: entry.hash, size: entry.size, modified: entry.modified });
    return !sameContent(entry, f);
  });
  const modified = now();
  const checks = await mapLimit(changed, VERIFY_CONCURRENCY, (f) => locateUpload(agent, f, modified, current.get(f.filePath)));
  const verified: Verified[] = [];
  changed.forEach((f, i) => {
    const check = checks[i];
    if (!check.ok) {
      results.set(f.filePath, {
        filePath: f.filePath,
        status: 'conflict',
        error: { code: 'CONFLICT', message: `Cannot confirm ${JSON.stringify(f.filePath)}: ${check.reason}` },
      });
    } else {
      verified.push({ path: f.filePath, hash: f.hash, size: f.size, modified, location: check.location, storedAt: check.storedAt });
    }
  });
  for (let i = 0; i < verified.length; i += FILES_PER_TRANSACTION) {
    const chunk = verified.slice(i, i + FILES_PER_TRANSACTION);
    try {
      for (const r of await recordChunk(agent, chunk, modified, current)) results.set(r.filePath, r);
    } catch (error) {
      // recordChunk gave up without writing: what this chunk and the next made live is nobody's
      if (error instanceof AppError) await removeUnnamed(agent, verified.slice(i));
      throw error;
    }
  }
  await removeUnnamed(
    agent,
    verified.filter((e) => results.get(e.path)?.status !== 'confirmed'),
  );
  const header = await getHeader(agent);
  return { version: header.version, results: files.map((f) => results.get(f.filePath) as ConfirmResult) };
}

/** Removes objects no entry names any more; a failure leaves only unreferenced bytes, so it is logged, not raised. */
async function removeReplaced(agent: ScopeRef, replaced: { previous?: PathRecord; next?: PathRecord }[]): Promise<void> {
  const keys = replaced
    .filter((c) => isFile(c.previous) && (!isFile(c.next) || entryKey(agent, c.previous) !== entryKey(agent, c.next)))
    .map((c) => entryKey(agent, c.previous as FileEntry));
  await mapLimit(keys, 16, (key) =>
    deleteObject(key).catch((error: unknown) => logger.warn('could not remove a replaced object', { key, error })),
  );
}

/**
 * Removes the objects this confirm made live for entries it did not record (another confirm
 * recorded the same content first). A direct put's key is removed only once its path recorded it
 * or a later put (no confirm can name it then); until then another request confirming the same
 * put at once (a client's retry) may still name it, so it is left in place.
 */
async function removeUnnamed(agent: ScopeRef, entries: FileEntry[]): Promise<void> {
  const direct = entries.filter((e) => directNonce(e) !== undefined);
  const current = direct.length
    ? await getRecords(
        agent,
        direct.map((e) => e.path),
      )
    : new Map<string, PathRecord>();
  const removable = (e: FileEntry) => {
    const nonce = directNonce(e);
    const now = current.get(e.path);
    return nonce === undefined || (supersedes(now, nonce) && (!isFile(now) || now.location !== e.location));
  };
  await removeReplaced(
    agent,
    entries.filter(removable).map((previous) => ({ previous })),
  );
}

/**
 * One transaction per chunk; re-read and retried when another writer changed a file meanwhile. An
 * upload the path may no longer record (see uploadRefusal: its key may be gone) is a conflict. When
 * another writer recorded the same content meanwhile, a direct put's nonce still becomes the
 * path's `u`: no confirm can name its key after that, so removeUnnamed can remove it.
 */
async function recordChunk(agent: ScopeRef, chunk: Verified[], modified: string, read: Map<string, PathRecord>): Promise<ConfirmResult[]> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    await backoff(attempt);
    // the first attempt uses the records read before the checks: the transaction's conditions catch any change since
    const previous =
      attempt === 0
        ? read
        : await getRecords(
            agent,
            chunk.map((e) => e.path),
          );
    const changes: EntryChange[] = chunk.flatMap(({ storedAt, ...e }): EntryChange[] => {
      const before = previous.get(e.path);
      const nonce = directNonce(e);
      if (sameContent(before, e))
        return nonce !== undefined && !supersedes(before, nonce)
          ? [{ path: e.path, previous: before, next: { ...before, newest: nonce } }]
          : [];
      if (uploadRefusal(before, { nonce, storedAt })) return [];
      return [{ path: e.path, previous: before, next: { ...e, newest: nonce ?? before?.newest } }];
    });
    if (await applyChanges(agent, changes, modified, true)) {
      await removeReplaced(agent, changes);
      return chunk.map((e): ConfirmResult => {
        const kept = previous.get(e.path);
        if (sameContent(kept, e))
          return { filePath: e.path, status: 'unchanged', hash: kept.hash, size: kept.size, modified: kept.modified };
        const reason = uploadRefusal(kept, { nonce: directNonce(e), storedAt: e.storedAt });
        if (reason)
          return {
            filePath: e.path,
            status: 'conflict',
            error: { code: 'CONFLICT', message: `Cannot confirm ${JSON.stringify(e.path)}: ${reason}` },
          };
        return { filePath: e.path, status: 'confirmed', hash: e.hash, size: e.size, modified: e.modified };
      });
    }
  }
  throw conflict('The manifest kept changing while confirming; try again');
}

/** A single confirm: the recorded entry, 400 for a path that cannot be stored, or 409 when the stored object is missing or differs. */
export async function confirmOne(agent: ScopeRef, file: Confirmation) {
  checkPath(file.filePath, 'filePath');
  const { version, results } = await confirmUploads(agent, [file]);
  const result = results[0];
  if (result.status === 'conflict') throw conflict(result.error.message);
  if (result.status === 'invalid') throw badRequest(result.error.message);
  return { ...result, version };
}

/**
 * Presigned get URLs of the files a mode selects, in path order, as many as fit one response (and
 * `limit`). A call without `cursor` or `limit` gets the whole bundle or a 413; one with them gets
 * pages and `nextCursor`. A call reads at most RESTORE_SCAN_ENTRIES manifest entries, so a mode that
 * selects few files of a huge workspace still answers in bounded time (its `nextCursor` may then
 * come with few or no files).
 */
export async function reconstruct(agent: ScopeRef, options: { mode: RestoreMode; cursor?: string; limit?: number }) {
  const paged = options.cursor !== undefined || options.limit !== undefined;
  const limit = options.limit ?? Infinity;
  const budget = pageBudget();
  const header = await getHeader(agent);
  const select = await restoreSelection(agent, options.mode, new Date());
  const files: { path: string; hash: string; size: number; modified: string; url: string; expiresAt: string }[] = [];
  let after = decodePathCursor(options.cursor);
  let used = 0;
  let scanned = 0;
  let more = false;
  scan: for (;;) {
    // about as many entries as the rest of the page can hold (a signed entry takes 400 bytes or more)
    const want = Math.min(RESTORE_SCAN_ENTRIES - scanned, 1000, Math.ceil((budget - used) / 400) + 1);
    const page = await queryEntries(agent, { after, limit: want });
    for (const entry of page.entries) {
      if (select(entry)) {
        if (files.length >= limit) {
          more = true;
          break scan;
        }
        const signed = await presignGet(entryKey(agent, entry), entry.versionId);
        const file = { ...publicEntry(entry), url: signed.url, expiresAt: signed.expiresAt };
        const bytes = jsonBytes(file) + 1;
        if (used + bytes > budget) {
          more = true;
          break scan;
        }
        files.push(file);
        used += bytes;
      }
      after = entry.path;
      scanned++;
    }
    if (page.lastPath === undefined) break;
    if (scanned >= RESTORE_SCAN_ENTRIES) {
      more = true;
      break;
    }
  }
  if (more && !paged) throw responseTooLarge(`The ${options.mode} restore bundle of ${header.fileCount} files`);
  return {
    mode: options.mode,
    version: header.version,
    files,
    ...(more && after !== undefined ? { nextCursor: encodeCursor(after) } : {}),
  };
}

/** Backed-up files under a prefix in path order: the whole listing (or a 413) without `cursor`/`limit`, pages with them. */
export async function listFiles(agent: ScopeRef, options: { prefix?: string; cursor?: string; limit?: number }) {
  const paged = options.cursor !== undefined || options.limit !== undefined;
  const prefix = checkPrefix(options.prefix ?? '');
  const after = decodePathCursor(options.cursor);
  if (after !== undefined && !after.startsWith(prefix)) throw badRequest('cursor does not belong to this prefix');
  const page = await queryEntries(agent, { prefix, after, limit: options.limit, budgetBytes: pageBudget() });
  if (page.lastPath !== undefined && !paged) throw responseTooLarge(`The listing of ${JSON.stringify(prefix)}`);
  return { files: page.entries.map(publicEntry), ...(page.lastPath !== undefined ? { nextCursor: encodeCursor(page.lastPath) } : {}) };
}

export async function getStats(agent: ScopeRef) {
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

export async function listSessions(agent: ScopeRef) {
  return { sessions: (await savedSessions(agent)).map(sessionView) };
}

export async function getSession(agent: ScopeRef, sessionId: string) {
  const found = (await savedSessions(agent)).find((s) => s.sessionId === sessionId);
  if (!found) throw notFound(`No saved session ${JSON.stringify(sessionId)}`);
  const e = found.entry;
  const key = entryKey(agent, e);
  const limit = config.syncSessionInlineMaxBytes;
  if (e.size > limit) {
    const signed = await presignGet(key, e.versionId);
    throw tooLarge(
      `Session ${JSON.stringify(sessionId)} is ${e.size} bytes, more than the ${limit} bytes returned inline: download it from url`,
      {
        url: signed.url,
        expiresAt: signed.expiresAt,
        size: e.size,
      },
    );
  }
  return { ...sessionView(found), content: await readObjectText(key, e.versionId) };
}

/**
 * Replaces the manifest entry by a tombstone first, then removes the object: a failure in between
 * leaves only unreferenced bytes. The tombstone moves the path's `u` to the delete's time, so no
 * confirm of an upload made before the delete (a retry of the one this entry recorded included)
 * can record it afterwards and name removed bytes.
 */
export async function deleteFile(agent: ScopeRef, path: string) {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    await backoff(attempt);
    const previous = (await getRecords(agent, [path])).get(path);
    if (!isFile(previous)) return { removed: false };
    const deletedAt = now();
    const reach = lastPutNonceAt(Date.parse(deletedAt));
    const tombstone = { path, deletedAt, newest: previous.newest !== undefined && previous.newest > reach ? previous.newest : reach };
    if (await applyChanges(agent, [{ path, previous, next: tombstone }], deletedAt, false)) {
      await deleteObject(entryKey(agent, previous));
      return { removed: true };
    }
  }
  throw conflict(`${JSON.stringify(path)} kept changing while deleting; try again`);
}
