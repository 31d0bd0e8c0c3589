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

/**
 * Tokens whose features are remembered (as the stemmer remembers stems): a text's features are then
 * counted without building a string or a map per word. Forgotten all at once when full, between texts.
 */
const TOKEN_CACHE_SIZE = 50_000;
/** Characters of the tokens remembered at most (a token's features take ~16 bytes per character): a workspace of long unbroken tokens (hex, base64) must not keep them all. */
const TOKEN_CACHE_CHARACTERS = 1_000_000;
/** Keys of a word feature ("w:<word>"): above every trigram key (three UTF-16 code units, 48 bits). */
const WORD_KEYS = 2 ** 48;

/**
 * The features of a text and their weights, in the order they first occur (the vector's sums are
 * made in that order, so every vector is the same to the bit as with any other bookkeeping): an
 * open-addressing table keyed by each feature's exact identity (a number), bucketed by its hash.
 */
class FeatureCounts {
  private capacity = 0;
  private keys = new Float64Array(0);
  private counts = new Float64Array(0);
  private hashes = new Uint32Array(0);
  /** The generation a slot was last written in: slots of an older one are free. */
  private stamps = new Uint32Array(0);
  private generation = 1;
  /** Slots in the order their feature first came. */
  private order = new Int32Array(0);
  size = 0;

  constructor(capacity = 1024) {
    this.allocate(capacity);
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.keys = new Float64Array(capacity);
    this.counts = new Float64Array(capacity);
    this.hashes = new Uint32Array(capacity);
    this.stamps = new Uint32Array(capacity);
    this.order = new Int32Array(capacity / 2);
    this.generation = 1;
    this.size = 0;
  }

  clear(): void {
    this.size = 0;
    if (++this.generation > 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  add(key: number, featureHash: number, weight: number): void {
    const mask = this.capacity - 1;
    let slot = featureHash & mask;
    while (this.stamps[slot] === this.generation) {
      if (this.keys[slot] === key) {
        this.counts[slot] += weight;
        return;
      }
      slot = (slot + 1) & mask;
    }
    this.stamps[slot] = this.generation;
    this.keys[slot] = key;
    this.counts[slot] = weight;
    this.hashes[slot] = featureHash;
    this.order[this.size++] = slot;
    if (this.size === this.order.length) this.grow();
  }

  /** Twice the room, the features and their order kept. */
  private grow(): void {
    const { keys, counts, hashes, order, size } = this;
    this.allocate(this.capacity * 2);
    for (let i = 0; i < size; i++) {
      const slot = order[i];
      this.add(keys[slot], hashes[slot], counts[slot]);
    }
  }

  /** Each feature's hash and weight, in the order they first came. */
  forEach(visit: (featureHash: number, count: number) => void): void {
    for (let i = 0; i < this.size; i++) {
      const slot = this.order[i];
      visit(this.hashes[slot], this.counts[slot]);
    }
  }
}

export class LexicalEmbedder implements Embedder {
  /** Per token: its features as [key, hash] pairs, the word's first, then its trigrams'. */
  private readonly tokens = new Map<string, Float64Array>();
  /** An id per distinct word (after stemming): the keys of word features. */
  private readonly words = new Map<string, number>();
  private readonly counts = new FeatureCounts();
  private rememberedCharacters = 0;

  constructor(
    private readonly dimension: number,
    private readonly options: LexicalOptions = DEFAULT_LEXICAL_OPTIONS,
  ) {
    if (!Number.isInteger(dimension) || dimension < 64) throw new Error(`EMBEDDING_DIMENSION must be an integer >= 64, not ${dimension}`);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.vectorOf(this.features(text, this.counts)));
  }

  async embedQuery(query: string): Promise<Float32Array> {
    // loaded first: the features are then counted without a pause another text's could come in
    const synonymsOf = this.options.synonyms ? (await wordnetModule()).synonymsOf : undefined;
    const counts = this.features(query, new FeatureCounts(256));
    if (synonymsOf) {
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
  private features(text: string, counts: FeatureCounts): FeatureCounts {
    if (this.tokens.size >= TOKEN_CACHE_SIZE || this.rememberedCharacters >= TOKEN_CACHE_CHARACTERS) {
      this.tokens.clear();
      this.words.clear();
      this.rememberedCharacters = 0;
    }
    counts.clear();
    for (const line of text.split('\n')) {
      const weight = /^\s{0,3}#/.test(line) ? HEADING_WEIGHT : 1;
      for (const token of contentWords(line)) this.addWord(counts, token, weight);
    }
    return counts;
  }

  private addWord(counts: FeatureCounts, token: string, weight: number): void {
    const features = this.tokens.get(token) ?? this.featuresOf(token);
    counts.add(features[0], features[1], weight);
    for (let i = 2; i < features.length; i += 2) counts.add(features[i], features[i + 1], weight * TRIGRAM_WEIGHT);
  }

  /** A token's features ("w:<word>", then "g:<trigram>" of "<word>") as [key, hash] pairs. */
  private featuresOf(token: string): Float64Array {
    const word = this.options.stemming ? stem(token) : token;
    let id = this.words.get(word);
    if (id === undefined) {
      id = this.words.size;
      this.words.set(word, id);
    }
    const padded = `<${word}>`;
    const trigrams = this.options.trigrams ? Math.max(0, padded.length - 2) : 0;
    const features = new Float64Array(2 + 2 * trigrams);
    features[0] = WORD_KEYS + id;
    features[1] = hash(`w:${word}`);
    for (let i = 0; i < trigrams; i++) {
      features[2 + 2 * i] = padded.charCodeAt(i) * 2 ** 32 + padded.charCodeAt(i + 1) * 2 ** 16 + padded.charCodeAt(i + 2);
      features[3 + 2 * i] = hash(`g:${padded.slice(i, i + 3)}`);
    }
    this.tokens.set(token, features);
    this.rememberedCharacters += token.length + word.length;
    return features;
  }

  private vectorOf(counts: FeatureCounts): Float32Array {
    const vector = new Float32Array(this.dimension);
    counts.forEach((h, count) => {
      const weight = count >= 1 ? 1 + Math.log(count) : count; // sublinear term frequency
      vector[h % this.dimension] += h & 0x80000000 ? -weight : weight;
    });
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i];
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < vector.length; i++) vector[i] *= inv;
    }
    return vector;
  }
}
