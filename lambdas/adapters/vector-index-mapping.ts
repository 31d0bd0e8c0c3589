/**
 * The k-NN index of item chunks: one document per chunk. Shared by the custom resource that
 * creates the index in AWS and by the OpenSearch adapter that writes and queries it.
 * Lucene HNSW with cosinesimil: its score is (1 + cosine) / 2, the scale the local index uses too.
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
        content: { type: 'text', index: false },
        metadata: { type: 'object', enabled: false },
        expiresAt: { type: 'date', format: 'epoch_second' },
      },
    },
  };
}
