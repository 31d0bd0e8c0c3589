/**
 * The k-NN index of item chunks: one document per chunk. Shared by the custom resource that
 * creates the index in AWS and by the OpenSearch adapter that writes and queries it.
 * Lucene HNSW with cosinesimil (its score is (1 + cosine) / 2) and BM25 on the content.
 */
export const VECTOR_FIELD = 'embedding';

export function vectorIndexDefinition(dimension: number) {
  return {
    settings: { index: { knn: true } },
    mappings: {
      properties: {
        [VECTOR_FIELD]: {
          type: 'knn_vector',
          dimension,
          method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil', parameters: { m: 16, ef_construction: 128 } },
        },
        tenant: { type: 'keyword' },
        scope: { type: 'keyword' },
        scopeId: { type: 'keyword' },
        path: { type: 'keyword' },
        /** The item generation a chunk belongs to (new on every add; kept by a move). */
        itemId: { type: 'keyword' },
        chunk: { type: 'integer' },
        /** The lexical half of the hybrid search: BM25 over English-stemmed words. */
        content: { type: 'text', analyzer: 'english' },
        metadata: { type: 'object', enabled: false },
        expiresAt: { type: 'date', format: 'epoch_second' },
      },
    },
  };
}

/**
 * The index actually used: the configured base name, the mapping version and the dimension, so a
 * new mapping or a changed `embeddingDimension` gets a new index (created by the custom resource)
 * instead of writing vectors the old mapping refuses. Items indexed in an earlier index are not
 * copied: re-add them (docs/deploy.md).
 */
export const vectorIndexName = (base: string, dimension: number): string => `${base}-v2-d${dimension}`;
