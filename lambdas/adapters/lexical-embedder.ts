import { type Embedder } from './embedder';

/**
 * An offline embedder with no model: hashed features of stemmed content words and of their
 * character trigrams, sublinear term frequency, heading lines weighted up, signed feature hashing
 * (collisions cancel out on average instead of adding similarity), L2-normalised.
 *
 * It matches words and word forms (authenticate ~ authentication), not meaning (login !~
 * authenticate): configure an `openai-compatible` embedder for semantic vectors.
 */
const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by
  can could did do does doing down during each few for from further had has have having he her here hers herself him himself
  his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours
  ourselves out over own same she should so some such than that the their theirs them themselves then there these they this
  those through to too under until up very was we were what when where which while who whom why will with would you your
  yours yourself yourselves also may might must shall use using used get got make made via etc md txt`.split(/\s+/),
);

/** Suffixes stripped (longest first) while a stem of at least 4 letters remains. */
const SUFFIXES = [
  'izations', 'ization', 'ational', 'fulness', 'iveness', 'ations', 'ation', 'ments', 'ement', 'ment', 'ingly', 'ities',
  'ity', 'ness', 'ings', 'ing', 'ions', 'ion', 'ated', 'ates', 'ate', 'ers', 'er', 'ies', 'ied', 'ed', 'ly', 'es', 's',
];

export function stem(word: string): string {
  for (const suffix of SUFFIXES) {
    if (word.length - suffix.length >= 4 && word.endsWith(suffix)) {
      const base = word.slice(0, -suffix.length);
      if (suffix === 'ies' || suffix === 'ied') return `${base}y`;
      // logging -> logg -> log, running -> runn -> run
      return /([^aeiouylsz])\1$/.test(base) ? base.slice(0, -1) : base;
    }
  }
  return word;
}

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

export class LexicalEmbedder implements Embedder {
  constructor(private readonly dimension: number) {
    if (!Number.isInteger(dimension) || dimension < 64) throw new Error(`EMBEDDING_DIMENSION must be an integer >= 64, not ${dimension}`);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): Float32Array {
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const weight = /^\s{0,3}#/.test(line) ? HEADING_WEIGHT : 1;
      for (const token of line.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
        if (token.length < 2 || STOPWORDS.has(token)) continue;
        const word = stem(token);
        counts.set(`w:${word}`, (counts.get(`w:${word}`) ?? 0) + weight);
        const padded = `<${word}>`;
        for (let i = 0; i + 3 <= padded.length; i++) {
          const gram = `g:${padded.slice(i, i + 3)}`;
          counts.set(gram, (counts.get(gram) ?? 0) + weight * TRIGRAM_WEIGHT);
        }
      }
    }
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
