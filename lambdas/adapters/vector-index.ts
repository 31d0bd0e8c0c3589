import { config } from '../kit/config';

/**
 * The vector index port: OpenSearch k-NN in AWS, an embedded index locally. One document per
 * chunk; chunks belong to an item generation (`itemId`, new on every add), so a re-added path
 * never collides with the chunks of its predecessor.
 */
export interface IndexedItem {
  itemId: string;
  tenant: string;
  scope: string;
  /** `-` for tenant-wide scopes. */
  scopeId: string;
  path: string;
  /** Epoch seconds; undefined = never expires. */
  expiresAt?: number;
}

export interface IndexedChunk {
  content: string;
  /** Unit length (the embedders normalise), so cosine = dot product. */
  vector: Float32Array;
}

export interface VectorQuery {
  tenant: string;
  scope: string;
  scopeId: string;
  vector: Float32Array;
  /** Items wanted (one hit per item). */
  limit: number;
  /** On the (1 + cosine) / 2 scale. */
  minScore: number;
  /** Epoch seconds: chunks whose item expired by then are left out. */
  now: number;
}

export interface VectorHit {
  itemId: string;
  path: string;
  /** The item's best chunk. */
  content: string;
  /** (1 + cosine) / 2, the score OpenSearch's cosinesimil space reports. */
  score: number;
}

export interface VectorIndex {
  /** Indexes the chunks of one item generation. */
  putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void>;
  /** Removes every chunk of an item generation (no-op when none). */
  deleteItem(itemId: string): Promise<void>;
  /** Re-labels an item generation after a move: new scope, scopeId, path and expiry. */
  moveItem(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): Promise<void>;
  /** Best chunk per item, score >= minScore, sorted by score then path, at most `limit` items. */
  search(query: VectorQuery): Promise<VectorHit[]>;
}

/** Converts between the score scale and cosine. */
export const scoreOf = (cosine: number): number => (1 + cosine) / 2;

/** Orders hits the way the API answers: best score first, ties by path. */
export const byScoreThenPath = (a: VectorHit, b: VectorHit): number => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

let instance: Promise<VectorIndex> | undefined;

/** The configured backend, created once per process (modules loaded lazily: a local run needs no OpenSearch client). */
export function vectorIndex(): Promise<VectorIndex> {
  instance ??=
    config.vectorBackend === 'opensearch'
      ? import('./opensearch-vector-index').then((m) => m.openSearchVectorIndex())
      : import('./local-vector-index').then((m) => m.openLocalVectorIndex(config.home));
  return instance;
}
