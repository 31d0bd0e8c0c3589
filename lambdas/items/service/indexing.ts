import { isZero, queryVector } from '../../adapters/embedder/port';
import { embedder } from '../../adapters/embedder/select';
import { DEFAULT_LEXICAL_OPTIONS, type LexicalOptions } from '../../adapters/embedder/lexical';
import { calibrationFor, queryTerms, rankCandidates, type MeaningSignalsOf, type RankingQuery } from '../../adapters/vector-index/ranking';
import type { IndexedChunk, IndexedItem, VectorHit, VectorIndex } from '../../adapters/vector-index/port';
import { vectorIndex } from '../../adapters/vector-index/select';
import { resemblanceTo } from '../../adapters/vector-index/feedback';
import { contentWords } from '../../adapters/text-terms';
import { config } from '../../kit/config';
import { logger } from '../../kit/observability';
import { deleteBlob } from './blobs';
import { chunkText, titleOf } from './content';
import type { ItemEntry } from './store';
import type { ScopeRef } from './scope';
import { once } from '../../shared/once';
import { LexicalThread, type ChunkJob, type ChunkVectors } from '../../adapters/embedder/lexical-thread';

/** Local-only modules (word vectors, WordNet), loaded on first use. */
const wordVectorsModule = once(() => import('../../adapters/word-vectors'));
const wordnetModule = once(() => import('../../adapters/wordnet'));

/** Chunks and embeds an item's text; each chunk is embedded under a heading made of the file name. */
export const embedChunks = (path: string, text: string): Promise<IndexedChunk[]> => embedTexts(path, chunkText(text));

/**
 * Embeds the chunks of an item's text (see embedChunks), with what the ranking needs of each whatever
 * the query (rankingFeatures). The local runtime's offline embedder does it on a worker thread
 * (lexicalThread); in Lambda, and for the other embedders (calls to a model), it is done here.
 */
export async function embedTexts(path: string, chunks: string[]): Promise<IndexedChunk[]> {
  if (!chunks.length) return [];
  const title = titleOf(path);
  const job: ChunkJob = {
    dimension: config.embeddingDimension,
    title,
    texts: chunks.map((chunk) => `${title}\n${chunk}`),
    features: Boolean(lexicalRanking()?.wordVectors),
  };
  const vectors = await (config.embedder === 'lexical' && !config.inLambda ? lexicalThread().vectors(job) : chunkVectors(job));
  return chunks.map((content, i) => ({ content, ...vectors[i] }));
}

/** A job's chunk vectors computed in this thread (the configured embedder, of the configured dimension). */
async function chunkVectors({ title, texts, features }: ChunkJob): Promise<ChunkVectors[]> {
  const [vectors, ranking] = await Promise.all([(await embedder()).embed(texts), rankingFeatures(title, texts, { wordVectors: features })]);
  return vectors.map((vector, i) => ({ vector, ...ranking?.[i] }));
}

/** The worker thread of the local runtime's indexing (started by the first chunks; ends when idle, or by closeLexicalThread). */
const lexicalThread = once(() => new LexicalThread(chunkVectors));

/** Ends the indexing worker thread, if one runs (the local runtime's stop). */
export const closeLexicalThread = (): Promise<void> => lexicalThread().close();

/** The ranking's options of the configured embedder (only the offline one has any). */
const lexicalRanking = (): LexicalOptions | undefined => (config.embedder === 'lexical' ? DEFAULT_LEXICAL_OPTIONS : undefined);

/**
 * What the ranking computes of a chunk whatever the query (its word-vector features, when it weighs
 * them: rankingQuery), once, when the chunk is indexed; `texts` are the chunks under `title`, as
 * rankingQuery reads them. The index keeps it beside the chunk and a search hands it back. With it
 * comes the chunk's sentence vector (none when no word of it has a word vector), which the local
 * index searches its nearest chunks by: the embedder's hashed vectors do not cluster.
 */
export async function rankingFeatures(
  title: string,
  texts: string[],
  lexical?: Pick<LexicalOptions, 'wordVectors'>,
): Promise<Pick<IndexedChunk, 'features' | 'sentence'>[] | undefined> {
  if (!lexical?.wordVectors) return undefined;
  const { chunkFeatures } = await wordVectorsModule();
  return texts.map((text) => chunkFeatures(text, title));
}

/**
 * The sentence vector of a chunk an index kept without one (made before they were stored): the one
 * of its stored features when they are current and of its title, else computed from its text.
 */
export async function storedSentence(path: string, content: string, features?: Uint8Array): Promise<Float32Array | undefined> {
  const { decodeFeatures, textFeatures } = await wordVectorsModule();
  const title = titleOf(path);
  const stored = features && decodeFeatures(features);
  const sentence = stored && stored.label === title ? stored.features.sentence : textFeatures(`${title}\n${content}`).sentence;
  return isZero(sentence) ? undefined : sentence;
}

let filling: Promise<void> | undefined;

/**
 * The search index items are written to and searched in. With the offline embedder, its first use in
 * a process has the rows of an index made before sentence vectors were stored given theirs, in the
 * background (searches meanwhile find their nearest chunks by the hashed vectors, as before).
 */
export async function itemsIndex(): Promise<VectorIndex> {
  const index = await vectorIndex();
  if (!filling && lexicalRanking()?.wordVectors && index.fillSentences) {
    const { wordVectors } = await wordVectorsModule();
    filling = index
      .fillSentences({
        vectors: config.embeddingDimension,
        sentences: wordVectors().dimension,
        sentenceOf: (chunk) => storedSentence(chunk.path, chunk.content, chunk.features),
      })
      .catch((error: Error) => logger.warn('could not give the search index its sentence vectors', { error }));
  }
  return index;
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
    itemsIndex()
      .then((index) => index.deleteItem(entry.itemId))
      .catch((error: Error) => logger.warn('could not delete index documents', { itemId: entry.itemId, error })),
  ]);
}

/** Hybrid search in one scope: the best chunk per item with its absolute score >= minScore, best first (see adapters/ranking.ts). */
export async function findHits(ref: ScopeRef, query: string, limit: number, minScore: number, now: number): Promise<VectorHit[]> {
  const vector = await queryVector(await embedder(), query);
  if (isZero(vector)) return [];
  const lexical = lexicalRanking();
  const sentence = lexical?.wordVectors ? await querySentence(query) : undefined;
  // the index searches on its own threads meanwhile: the query's terms, synonyms and word vectors are ready when it answers
  const [candidates, ranking] = await Promise.all([
    (await itemsIndex()).search({ ...ref, text: query, vector, sentence, candidates: Math.max(50, limit * 3), now }),
    rankingQuery(query, lexical),
  ]);
  return rankCandidates(ranking, candidates, calibrationFor(config.embedder), minScore, limit);
}

/** A query's sentence vector (IndexedChunk.sentence of it); undefined when no word of it has a word vector. */
export async function querySentence(query: string): Promise<Float32Array | undefined> {
  const { sentenceVector } = await wordVectorsModule();
  const sentence = sentenceVector(contentWords(query));
  return isZero(sentence) ? undefined : sentence;
}

/**
 * The query as the ranking sees it. With the offline embedder, coverage also counts WordNet
 * synonyms and the ranking weighs word-vector meaning and each hit's resemblance to the best one
 * (word information: word-vectors.ts; local-only modules, loaded on first use).
 */
export async function rankingQuery(query: string, lexical?: Pick<LexicalOptions, 'synonyms' | 'wordVectors'>): Promise<RankingQuery> {
  const synonyms = lexical?.synonyms ? (await wordnetModule()).synonymsOf : undefined;
  const terms = queryTerms(query, synonyms);
  if (!lexical?.wordVectors) return { terms };
  const { decodeFeatures, informationOf, meaningOf, wordVectors } = await wordVectorsModule();
  const meaning = meaningOf(query, terms);
  const vectors = wordVectors();
  const textOf = (chunk: { path: string; content: string }) => `${titleOf(chunk.path)}\n${chunk.content}`;
  // a candidate's stored features, decoded once for both steps (the meaning, then the resemblance)
  const decoded = new WeakMap<Uint8Array, ReturnType<typeof decodeFeatures> | null>();
  const decode = (features: Uint8Array) => {
    let stored = decoded.get(features);
    if (stored === undefined) {
      stored = decodeFeatures(features) ?? null;
      decoded.set(features, stored);
    }
    return stored ?? undefined;
  };
  return {
    terms,
    resemblance: (best) => {
      const resemblance = resemblanceTo(textOf(best), terms, (word) => informationOf(word, vectors));
      // a chunk's stems are in the features stored of its text under its title: not tokenised again
      return (chunk) => {
        const stored = chunk.features && decode(chunk.features);
        return stored && stored.label === titleOf(chunk.path) ? resemblance({ stems: stored.features.stems }) : resemblance(textOf(chunk));
      };
    },
    meaning: ((path: string, content: string, features?: Uint8Array, worthIt?: (meaning: number) => boolean) => {
      const title = titleOf(path);
      // features computed under another title (the item moved to another file name since) are not its own
      const stored = features && decode(features);
      return meaning(stored && stored.label === title ? stored.features : `${title}\n${content}`, worthIt);
    }) as MeaningSignalsOf,
  };
}
