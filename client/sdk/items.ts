import type { ItemSummary } from '../../lambdas/contracts/items';
import type { SatchelHttp } from './http';
import { putPresigned, type UploadBody } from './presigned';

/** Scoped workspace items and vector search (seed 003). Bodies are the seed's, flat. */
export type ItemScope = 'agent' | 'session' | 'company' | 'temporary';

export interface ScopeArgs {
  /** Default `agent`. */
  scope?: ItemScope;
  /** Agent id (agent) or session id (session); not used for company and temporary. */
  scopeId?: string;
}

export type { ItemSummary };

export interface Item extends ItemSummary {
  /** Text as is; binary base64 (encoding `base64`); null above 1 MiB (use downloadUrl). */
  content: string | null;
  encoding: 'utf8' | 'base64';
  downloadUrl?: string;
}

export interface AddItemInput extends ScopeArgs {
  itemPath: string;
  content?: string;
  encoding?: 'utf8' | 'base64';
  fileUrl?: string;
  /** A staged upload (createItemUpload, then PUT the bytes): extension of seed 003. */
  upload?: { id: string };
  /** `contentType` sets the type; `overwrite: true` replaces an existing item. */
  metadata?: Record<string, unknown>;
}

export interface MoveItemInput {
  fromScope?: ItemScope;
  fromScopeId?: string;
  fromPath: string;
  toPath?: string;
  toScope?: ItemScope;
  toScopeId?: string;
}

export interface SearchInput extends ScopeArgs {
  query: string;
  /** Default 10, max 50. */
  limit?: number;
  /** Default 0.7. */
  minScore?: number;
}

export interface SearchResult {
  path: string;
  content: string;
  score: number;
  metadata: Record<string, unknown>;
}

export interface ItemStatus {
  path: string;
  status: 'ready' | 'pending' | 'failed';
  contentType?: string;
  size?: number;
  indexedChunks?: number;
  error?: string;
}

/** A staged upload: PUT exactly `size` bytes to `url` with `headers`, then add it before `expiresAt` + 1 hour. */
export interface ItemUpload {
  uploadId: string;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
  /** The item size cap, bytes. */
  maxBytes: number;
}

export interface UploadItemInput extends Omit<AddItemInput, 'content' | 'encoding' | 'fileUrl' | 'upload'> {
  /** The bytes (a stream is sent as it is read). */
  body: UploadBody;
  /** Exact size of body, bytes. */
  size: number;
}

type AddItemResult = { success: true; path: string; message: string; status: 'ready' | 'pending' };

const ITEMS = '/api/workspace/items';

export function itemsMethods(http: SatchelHttp) {
  return {
    listItems: (args: ScopeArgs & { prefix?: string; limit?: number; cursor?: string } = {}) =>
      http.request<{ items: ItemSummary[]; nextCursor?: string }>('GET', ITEMS, { query: { ...args } }),
    /** Every page of a listing. */
    listAllItems: async (args: ScopeArgs & { prefix?: string } = {}): Promise<ItemSummary[]> => {
      const all: ItemSummary[] = [];
      let cursor: string | undefined;
      do {
        const page = await http.request<{ items: ItemSummary[]; nextCursor?: string }>('GET', ITEMS, {
          query: { ...args, limit: 1000, cursor },
        });
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
    getItem: (args: ScopeArgs & { itemPath: string }) => http.request<Item>('GET', `${ITEMS}/get`, { query: { ...args } }),
    itemStatus: (args: ScopeArgs & { itemPath: string }) => http.request<ItemStatus>('GET', `${ITEMS}/status`, { query: { ...args } }),
    /** Resolves when stored (`status: ready`) or accepted for background fetching or indexing (`status: pending`). */
    addItem: (input: AddItemInput) => http.request<AddItemResult>('POST', ITEMS, { body: input, idempotent: false }),
    /** A presigned PUT for a file of `size` bytes (up to the item size cap), to add with `upload: { id }`. */
    createItemUpload: (input: { size: number; contentType?: string }) =>
      http.request<ItemUpload>('POST', `${ITEMS}/uploads`, { body: input, idempotent: false }),
    /**
     * Adds a file of any size up to the item cap: creates an upload, PUTs the bytes straight to
     * storage, then adds the item from it. Large items answer `status: pending` (see itemStatus).
     */
    uploadItem: async (input: UploadItemInput): Promise<AddItemResult> => {
      const { body, size, ...add } = input;
      const known = body instanceof Uint8Array ? body.length : body instanceof Blob ? body.size : undefined;
      if (known !== undefined && known !== size) throw new Error(`${add.itemPath}: size is ${size} but the body has ${known} bytes`);
      const contentType = typeof add.metadata?.contentType === 'string' ? add.metadata.contentType : undefined;
      const upload = await http.request<ItemUpload>('POST', `${ITEMS}/uploads`, { body: { size, contentType }, idempotent: false });
      await putPresigned(http.options.fetch ?? fetch, upload.url, upload.headers, body, add.itemPath);
      return http.request<AddItemResult>('POST', ITEMS, { body: { ...add, upload: { id: upload.uploadId } }, idempotent: false });
    },
    deleteItem: (args: ScopeArgs & { itemPath: string }) =>
      http.request<{ success: true; message: string }>('DELETE', ITEMS, { body: args }),
    moveItem: (input: MoveItemInput) =>
      http.request<{ success: true; path: string; message: string }>('POST', `${ITEMS}/move`, { body: input, idempotent: false }),
    searchItems: (input: SearchInput) =>
      http.request<{ results: SearchResult[]; query: string; totalResults: number }>('POST', '/api/workspace/search', {
        body: input,
        idempotent: true,
      }),
  };
}
