import { isZero, queryVector } from '../../adapters/embedder/port';
import { embedder } from '../../adapters/embedder/select';
import { DEFAULT_LEXICAL_OPTIONS, type LexicalOptions } from '../../adapters/embedder/lexical';
import { calibrationFor, queryTerms, rankCandidates, type RankingQuery } from '../../adapters/vector-index/ranking';
import type { IndexedChunk, IndexedItem, VectorHit } from '../../adapters/vector-index/port';
import { vectorIndex } from '../../adapters/vector-index/select';
import { config } from '../../kit/config';
import { logger } from '../../kit/observability';
import { deleteBlob } from './blobs';
import { chunkText, titleOf } from './content';
import type { ItemEntry } from './store';
import type { ScopeRef } from './scope';

/** Chunks and embeds an item's text; each chunk is embedded under a heading made of the file name. */
export const embedChunks = (path: string, text: string): Promise<IndexedChunk[]> => embedTexts(path, chunkText(text));

/** Embeds the chunks of an item's text (see embedChunks). */
export async function embedTexts(path: string, chunks: string[]): Promise<IndexedChunk[]> {
  if (!chunks.length) return [];
  const title = titleOf(path);
  const vectors = await (await embedder()).embed(chunks.map((chunk) => `${title}\n${chunk}`));
  return chunks.map((content, i) => ({ content, vector: vectors[i] }));
}

export const indexedItem = (entry: ItemEntry): IndexedItem => ({
  itemId: entry.itemId,
  tenant: entry.tenant,
  scope: entry.scope,
  scopeId: entry.scopeId,
  path: entry.sk,
  expiresAt: entry.expiresAt,
});

/** Removes what a gone generation left: its bytes and its index documents. Failures are logged (garbage, never visible). */
export async function discard(entry: Pick<ItemEntry, 'itemId' | 'blobKey'>): Promise<void> {
  await Promise.all([
    deleteBlob(entry.blobKey).catch((error: Error) => logger.warn('could not delete item bytes', { blobKey: entry.blobKey, error })),
    vectorIndex()
      .then((index) => index.deleteItem(entry.itemId))
      .catch((error: Error) => logger.warn('could not delete index documents', { itemId: entry.itemId, error })),
  ]);
}

/** Hybrid search in one scope: the best chunk per item with its absolute score >= minScore, best first (see adapters/ranking.ts). */
export async function findHits(ref: ScopeRef, query: string, limit: number, minScore: number, now: number): Promise<VectorHit[]> {
  const vector = await queryVector(await embedder(), query);
  if (isZero(vector)) return [];
  const lexical = config.embedder === 'lexical' ? DEFAULT_LEXICAL_OPTIONS : undefined;
  // the index searches on its own threads meanwhile: the query's terms, synonyms and word vectors are ready when it answers
  const [candidates, ranking] = await Promise.all([
    (await vectorIndex()).search({ ...ref, text: query, vector, candidates: Math.max(50, limit * 3), now }),
    rankingQuery(query, lexical),
  ]);
  return rankCandidates(ranking, candidates, calibrationFor(config.embedder), minScore, limit);
}

/**
 * The query as the ranking sees it. With the offline embedder, coverage also counts WordNet
 * synonyms and the ranking weighs word-vector meaning (both local-only modules, loaded on first use).
 */
export async function rankingQuery(query: string, lexical?: Pick<LexicalOptions, 'synonyms' | 'wordVectors'>): Promise<RankingQuery> {
  const synonyms = lexical?.synonyms ? (await import('../../adapters/wordnet')).synonymsOf : undefined;
  const terms = queryTerms(query, synonyms);
  if (!lexical?.wordVectors) return { terms };
  const meaning = (await import('../../adapters/word-vectors')).meaningOf(query, terms);
  return { terms, meaning: (path, content) => meaning(`${titleOf(path)}\n${content}`) };
}
