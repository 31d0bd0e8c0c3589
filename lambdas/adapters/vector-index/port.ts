export interface Candidate {
  itemId: string;
  path: string;
  content: string;
  cosine: number;
  bm25: number;
  /** What the ranking computed of the chunk when it was indexed (IndexedChunk.features), where the engine keeps it. */
  features?: Uint8Array;
}

/**
 * The search index port: OpenSearch (k-NN + BM25) in AWS, LanceDB locally. One document per
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
  /**
   * What the ranking needs of the chunk whatever the query (word-vectors.ts encodeFeatures), kept
   * beside it and handed back with it as a candidate so a search need not compute it again; an
   * engine may drop it (the ranking then computes it from the content).
   */
  features?: Uint8Array;
  /**
   * A unit vector of what the chunk means that clusters (the offline embedder: the word-vector
   * sentence vector of its text), where `vector` does not (hashed words): a local index may serve
   * its nearest-neighbour half by it; the cosine handed back stays the one of `vector`. Absent when
   * the embedder's vector is itself a dense one, or when no word of the chunk has a word vector.
   */
  sentence?: Float32Array;
}

export interface SearchQuery {
  tenant: string;
  scope: string;
  scopeId: string;
  /** The query as the user typed it: the lexical (BM25) half searches it. */
  text: string;
  /** The query's embedding: the vector half searches it, and the cosine signal is measured against it. */
  vector: Float32Array;
  /** The query's IndexedChunk.sentence: the vector half searches chunks by it where the engine keeps theirs. */
  sentence?: Float32Array;
  /** Chunks wanted from each half; hits of both are merged (see ranking.ts). */
  candidates: number;
  /** Epoch seconds: chunks whose item expired by then are left out. */
  now: number;
}

/** One hit of the search API: the best chunk of an item, its absolute score in [0, 1]. */
export interface VectorHit {
  itemId: string;
  path: string;
  content: string;
  score: number;
}

export interface VectorIndex {
  /** Indexes the chunks of one item generation. */
  putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void>;
  /** Removes every chunk of an item generation (no-op when none). */
  deleteItem(itemId: string): Promise<void>;
  /** Re-labels an item generation after a move: new scope, scopeId, path and expiry. */
  moveItem(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): Promise<void>;
  /**
   * Hybrid retrieval in one partition (tenant, scope, scopeId), live chunks only: the best
   * `candidates` chunks by vector similarity and the best by BM25, each with both signals where
   * the engine has them (ranking.ts turns them into scores).
   */
  search(query: SearchQuery): Promise<Candidate[]>;
  /** Where the engine keeps sentence vectors: gives rows indexed without one theirs (see the local index). */
  fillSentences?(fill: SentenceFill): Promise<void>;
}

/** The sentence vectors of an index's chunks of `vectors`-sized vectors, `sentences` dimensions each. */
export interface SentenceFill {
  vectors: number;
  sentences: number;
  /** The chunk's IndexedChunk.sentence (undefined: it has none), from what the index kept of it. */
  sentenceOf(chunk: { path: string; content: string; features?: Uint8Array }): Promise<Float32Array | undefined>;
}
