import type { Embedder } from './port';
import { contentWords, stem } from '../text-terms';
import { once } from '../../shared/once';

/**
 * An offline embedder with no model: hashed features of stemmed content words and of their
 * character trigrams, sublinear term frequency, heading lines weighted up, signed feature hashing
 * (collisions cancel out on average instead of adding similarity), L2-normalised.
 *
 * It matches words and word forms (authenticate ~ authentication), not meaning (login !~
 * authenticate): configure an `openai-compatible` embedder for semantic vectors.
 */
const HEADING_WEIGHT = 3;
const TRIGRAM_WEIGHT = 0.25;

/** FNV-1a, 32 bits. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The steps of the embedder, each measured on bench/search-quality (docs/search.md). */
export interface LexicalOptions {
  /** Strip suffixes (authentication ~ authenticate). */
  stemming: boolean;
  /** Character trigrams of each word, weighted TRIGRAM_WEIGHT (misspellings, compounds). */
  trigrams: boolean;
  /** Queries also carry WordNet synonyms of their words, weighted SYNONYM_WEIGHT; coverage counts them too. */
  synonyms: boolean;
  /** The ranking also weighs how close query and chunk are in meaning, by word vectors (word-vectors.ts). */
  wordVectors: boolean;
}

export const DEFAULT_LEXICAL_OPTIONS: LexicalOptions = { stemming: true, trigrams: true, synonyms: true, wordVectors: true };

const SYNONYM_WEIGHT = 0.5;
/** WordNet (a local-only module), loaded on first use. */
const wordnetModule = once(() => import('../wordnet'));

export class LexicalEmbedder implements Embedder {
  constructor(
    private readonly dimension: number,
    private readonly options: LexicalOptions = DEFAULT_LEXICAL_OPTIONS,
  ) {
    if (!Number.isInteger(dimension) || dimension < 64) throw new Error(`EMBEDDING_DIMENSION must be an integer >= 64, not ${dimension}`);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.vectorOf(this.features(text)));
  }

  async embedQuery(query: string): Promise<Float32Array> {
    const counts = this.features(query);
    if (this.options.synonyms) {
      const { synonymsOf } = await wordnetModule();
      const own = new Set(contentWords(query));
      for (const word of own) {
        for (const synonym of synonymsOf(word)) {
          if (own.has(synonym)) continue;
          this.addWord(counts, synonym, SYNONYM_WEIGHT / Math.max(1, Math.sqrt(synonymsOf(word).length)));
        }
      }
    }
    return this.vectorOf(counts);
  }

  /** Weighted features of a text: heading lines count HEADING_WEIGHT times. */
  private features(text: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const weight = /^\s{0,3}#/.test(line) ? HEADING_WEIGHT : 1;
      for (const token of contentWords(line)) this.addWord(counts, token, weight);
    }
    return counts;
  }

  private addWord(counts: Map<string, number>, token: string, weight: number): void {
    const word = this.options.stemming ? stem(token) : token;
    counts.set(`w:${word}`, (counts.get(`w:${word}`) ?? 0) + weight);
    if (!this.options.trigrams) return;
    const padded = `<${word}>`;
    for (let i = 0; i + 3 <= padded.length; i++) {
      const gram = `g:${padded.slice(i, i + 3)}`;
      counts.set(gram, (counts.get(gram) ?? 0) + weight * TRIGRAM_WEIGHT);
    }
  }

  private vectorOf(counts: Map<string, number>): Float32Array {
    const vector = new Float32Array(this.dimension);
    for (const [feature, count] of counts) {
      const h = hash(feature);
      const weight = count >= 1 ? 1 + Math.log(count) : count; // sublinear term frequency
      vector[h % this.dimension] += h & 0x80000000 ? -weight : weight;
    }
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i];
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < vector.length; i++) vector[i] *= inv;
    }
    return vector;
  }
}
