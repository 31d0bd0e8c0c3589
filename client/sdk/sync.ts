import type * as contracts from '../../lambdas/contracts/sync';
import type { ResponseOf } from '../../lambdas/contracts/contract';
import type { Confirmation, ConfirmResult } from '../../lambdas/contracts/sync';
import type { SatchelHttp } from './http';

/** Workspace sync (seed 000): the methods carry the seed's names and return its shapes (the `data` of `{ data }`). */

/** Every method takes it last: a tenant-wide key names the agent it acts for (agent-bound keys need not). */
export interface AgentOption {
  agentId?: string;
}

export interface SignedUrl {
  path: string;
  operation: 'put' | 'get';
  method: 'PUT' | 'GET';
  url: string;
  /** Send these headers exactly: they are signed. */
  headers: Record<string, string>;
  expiresAt: string;
  hash?: string;
  size?: number;
  /** A put presigned with its hash and size: send it back in the confirm (the upload's own key). */
  uploadId?: string;
}

export interface MultipartUrls {
  path: string;
  operation: 'multipart';
  uploadId: string;
  partSize: number;
  parts: { partNumber: number; size: number; url: string; headers: Record<string, string> }[];
  expiresAt: string;
}

export interface PresignRefusal {
  path: string;
  operation: 'get';
  status: number;
  error: { code: string; message: string };
}

export type PresignEntry = SignedUrl | MultipartUrls | PresignRefusal;

export interface PresignFile {
  path: string;
  operation: 'put' | 'get' | 'multipart';
  contentType?: string;
  /** Lowercase hex SHA-256 of the contents; signed into a put URL so S3 refuses other bytes. */
  hash?: string;
  size?: number;
  /** multipart: the part size the client chose and the SHA-256 of each part (S3 then checks every part). */
  partSize?: number;
  partHashes?: string[];
}

export type { Confirmation, ConfirmResult };

export type Manifest = Omit<ResponseOf<typeof contracts.getManifest>, 'nextCursor'>;
export type RestoreMode = 'full' | 'memory' | 'active';
export type RestorePage = ResponseOf<typeof contracts.reconstruct>;

const unwrap = <T>(body: unknown): T => (body as { data: T }).data;
/** Files per page the SDK asks for: pages are then bounded by the server's response budget alone. */
const PAGE_LIMIT = 100000;

/**
 * Follows a list's pages: each `nextCursor` must be new. A server that hands one out again (a bug,
 * or a hostile server) would otherwise keep a client reading the same pages forever.
 */
function pageCursors(): (next: string | undefined) => string | undefined {
  const seen = new Set<string>();
  return (next) => {
    if (!next) return undefined;
    if (seen.has(next)) throw new Error('the server sent a page cursor it had already sent: its pages would never end');
    seen.add(next);
    return next;
  };
}
const query = (o?: AgentOption) => (o?.agentId ? { agentId: o.agentId } : {});
/** `notes/a b.md` -> `notes/a%20b.md`: each segment encoded, slashes kept (the route's path is greedy). */
export const encodeFilePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

export function syncMethods(http: SatchelHttp) {
  const get = async <T>(path: string, q: Record<string, string | number | undefined> = {}) =>
    unwrap<T>(await http.request('GET', path, { query: q }));
  const post = async <T>(path: string, body: unknown, o?: AgentOption) =>
    unwrap<T>(await http.request('POST', path, { body, query: query(o), idempotent: true }));

  // sending `limit` asks for pages: without it the server answers everything or 413 (docs/sync.md)
  const getManifestPage = (cursor: string | undefined, o?: AgentOption) =>
    get<ResponseOf<typeof contracts.getManifest>>('/agent/sync/manifest', { ...query(o), cursor, limit: PAGE_LIMIT });

  /**
   * `firstLimits`: files of the first pages, in order, when they should be smaller (a client that
   * starts downloading sooner); later pages ask for `limit`.
   */
  async function* reconstructPages(
    { firstLimits = [], ...body }: { mode?: RestoreMode; limit?: number; firstLimits?: number[] },
    o?: AgentOption,
  ): AsyncGenerator<RestorePage> {
    const checked = pageCursors();
    let cursor: string | undefined;
    let pageNumber = 0;
    do {
      const limit = firstLimits[pageNumber++] ?? body.limit ?? PAGE_LIMIT;
      const page = await post<RestorePage>('/agent/sync/reconstruct', { ...body, limit, ...(cursor ? { cursor } : {}) }, o);
      yield page;
      cursor = checked(page.nextCursor);
    } while (cursor);
  }

  return {
    syncRegister: (body: { displayName?: string } = {}, o?: AgentOption) =>
      post<ResponseOf<typeof contracts.register>>('/agent/sync/register', body, o),

    /** The whole manifest: follows its pages, and starts over when it changed in between. */
    async syncGetManifest(o?: AgentOption): Promise<Manifest> {
      for (let attempt = 0; ; attempt++) {
        const first = await getManifestPage(undefined, o);
        const files = { ...first.files };
        const checked = pageCursors();
        let cursor = checked(first.nextCursor);
        let consistent = true;
        while (cursor) {
          const page = await getManifestPage(cursor, o);
          Object.assign(files, page.files);
          cursor = checked(page.nextCursor);
          if (page.version !== first.version) consistent = false;
        }
        if (consistent || attempt >= 3) return { version: first.version, agentId: first.agentId, lastSync: first.lastSync, files };
      }
    },

    syncPresign: (body: { files: PresignFile[] }, o?: AgentOption) => post<{ urls: PresignEntry[] }>('/agent/sync/presign', body, o),

    /** One upload (409 when the stored object is missing or differs), or `{ files }` for per-file results. */
    syncConfirmUpload: <B extends Confirmation | { files: Confirmation[] }>(body: B, o?: AgentOption) =>
      post<B extends { files: Confirmation[] } ? { version: number; results: ConfirmResult[] } : ConfirmResult & { version: number }>(
        '/agent/sync/confirm',
        body,
        o,
      ),

    syncCompleteMultipart: (
      body: { path: string; uploadId: string; parts: { partNumber: number; etag: string; hash?: string }[] },
      o?: AgentOption,
    ) => post<ResponseOf<typeof contracts.completeMultipart>>('/agent/sync/multipart/complete', body, o),

    /** Every page of the restore bundle at once (URLs expire: for large workspaces iterate syncReconstructPages). */
    async syncReconstruct(body: { mode?: RestoreMode } = {}, o?: AgentOption) {
      const files: RestorePage['files'] = [];
      let last: RestorePage | undefined;
      for await (const page of reconstructPages(body, o)) {
        files.push(...page.files);
        last = page;
      }
      return { mode: last?.mode ?? body.mode ?? 'full', version: last?.version ?? 0, files };
    },
    syncReconstructPages: reconstructPages,

    /** Every file under `prefix` (from `cursor` on): follows the pages, `limit` files per request at most. */
    async syncListFiles(q: { prefix?: string; limit?: number; cursor?: string } = {}, o?: AgentOption) {
      const files: ResponseOf<typeof contracts.listFiles>['files'] = [];
      const checked = pageCursors();
      let cursor = q.cursor;
      do {
        const page = await get<ResponseOf<typeof contracts.listFiles>>('/agent/sync/files', {
          prefix: q.prefix,
          limit: q.limit ?? PAGE_LIMIT,
          cursor,
          ...query(o),
        });
        files.push(...page.files);
        cursor = checked(page.nextCursor);
      } while (cursor);
      return { files };
    },

    syncGetStats: (o?: AgentOption) => get<ResponseOf<typeof contracts.getStats>>('/agent/sync/stats', query(o)),

    syncListSessions: (o?: AgentOption) => get<ResponseOf<typeof contracts.listSessions>>('/agent/sync/sessions', query(o)),

    syncGetSession: (sessionId: string, o?: AgentOption) =>
      get<ResponseOf<typeof contracts.getSession>>(`/agent/sync/sessions/${encodeURIComponent(sessionId)}`, query(o)),

    syncDeleteFile: async (path: string, o?: AgentOption) =>
      unwrap<{ removed: boolean }>(await http.request('DELETE', `/agent/sync/files/${encodeFilePath(path)}`, { query: query(o) })),
  };
}
