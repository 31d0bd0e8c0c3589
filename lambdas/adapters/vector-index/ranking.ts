import { contentWords, stem, stemSet } from '../text-terms';
import type { Candidate, VectorHit } from './port';

/**
 * Hybrid ranking with absolute scores, shared by both backends. Each candidate chunk brings the
 * signals its engine measured: cosine similarity of the vectors and the BM25 score of the
 * lexical match (0 when the lexical half did not return it). The score is a fixed logistic
 * function of absolute signals, so it reads the same for every query and every workspace:
 *   - cosine, in [-1, 1];
 *   - coverage: the share of the query's content words (stemmed) found in the chunk or its file name;
 *   - BM25 squashed to [0, 1) by bm25 / (bm25 + BM25_HALF);
 *   - with the offline embedder, whose own vectors match words, not meaning, word vectors
 *     (word-vectors.ts) add: meaning, the cosine of the sentence vectors of query and chunk; a soft
 *     coverage that counts close words partly and weighs rare words more; and unmatched, the
 *     information of the most informative query word the chunk has nothing for (0 for the others).
 * Nothing is normalised against the other hits of the same query: a query nothing answers
 * scores low everywhere instead of handing its best (irrelevant) hit 1.0. One step looks at the
 * other hits, and only lowers scores: with the offline embedder, every hit but the best loses
 * `unlikeBest` (in logit) times the share of the best hit's telling words it lacks (feedback.ts),
 * so the best hit keeps its absolute score and a note on the same subject ranks above one that
 * merely shares a query word.
 * The weights are fitted once on the evaluation set (bench/search-quality) per embedder kind;
 * see docs/search.md for how and with what result.
 */
export interface Calibration {
  cosine: number;
  coverage: number;
  bm25: number;
  meaning: number;
  unmatched: number;
  /** Logit a hit loses per unit of the best hit's telling words it lacks (<= 0; 0: no such step). */
  unlikeBest: number;
  bias: number;
}

/** BM25 at which the squashed signal is 0.5. */
export const BM25_HALF = 5;

export interface Signals {
  cosine: number;
  coverage: number;
  bm25: number;
  meaning: number;
  unmatched: number;
}

/** The signals the calibration weighs, in the order of its feature vector. */
export const FEATURE_NAMES = ['cosine', 'coverage', 'bm25', 'meaning', 'unmatched'] as const;

/** What the ranking knows of a query: its terms and, where word vectors are at hand, their signals for a chunk. */
export interface RankingQuery {
  terms: QueryTerms;
  /**
   * Word-vector signals of a chunk (its path and content, and what was computed of it when it was
   * indexed, where the engine kept it: Candidate.features); they replace the exact coverage.
   */
  meaning?: MeaningSignalsOf;
  /** How much a chunk resembles the best hit, in [0, 1] (1 for the best hit itself); where word vectors are at hand. */
  resemblance?: (best: Text) => (chunk: Text) => number;
}

/** A chunk as the ranking reads it: its item's path, its content and its stored features (Candidate.features). */
type Text = Pick<Candidate, 'path' | 'content' | 'features'>;

/**
 * The word-vector signals of a chunk; with `worthIt`, undefined when it refuses the chunk's meaning
 * (computed first, the rest only for a chunk it accepts).
 */
export interface MeaningSignalsOf {
  (path: string, content: string, features?: Uint8Array): Pick<Signals, 'meaning' | 'coverage' | 'unmatched'>;
  (
    path: string,
    content: string,
    features: Uint8Array | undefined,
    worthIt: (meaning: number) => boolean,
  ): Pick<Signals, 'meaning' | 'coverage' | 'unmatched'> | undefined;
}

/** Words of a query as coverage counts them: each the stems that stand for it (itself, and its synonyms when given). */
export type QueryTerms = string[][];

export function queryTerms(query: string, synonyms?: (word: string) => string[]): QueryTerms {
  const terms = new Map<string, Set<string>>();
  for (const word of contentWords(query)) {
    const key = stem(word);
    if (terms.has(key)) continue;
    terms.set(key, new Set([key, ...(synonyms?.(word) ?? []).map(stem)]));
  }
  return [...terms.values()].map((alternatives) => [...alternatives]);
}

/** Share of the query terms present (any of their stems) in `present`. */
export const termShare = (terms: QueryTerms, present: Set<string>): number =>
  terms.length ? terms.filter((alternatives) => alternatives.some((s) => present.has(s))).length / terms.length : 0;

/** The stems of a path's file name. */
export const fileNameStems = (path: string): Set<string> => stemSet(path.split('/').pop() ?? '');

/** Share of the query terms present (any of their stems) in the chunk or in its file name. */
export function coverage(terms: QueryTerms, content: string, path: string): number {
  const present = stemSet(content);
  for (const s of fileNameStems(path)) present.add(s);
  return termShare(terms, present);
}

export function signalsOf(query: RankingQuery, candidate: Candidate): Signals {
  const { cosine, bm25 } = candidate;
  if (query.meaning) return { cosine, bm25, ...query.meaning(candidate.path, candidate.content, candidate.features) };
  return { cosine, bm25, coverage: coverage(query.terms, candidate.content, candidate.path), meaning: 0, unmatched: 0 };
}

/** The calibration's inputs: the signals with BM25 squashed to [0, 1). */
export const featuresOf = (signals: Signals): number[] =>
  FEATURE_NAMES.map((feature) =>
    feature === 'bm25' ? (signals.bm25 > 0 ? signals.bm25 / (signals.bm25 + BM25_HALF) : 0) : signals[feature],
  );

export const weightsOf = (calibration: Calibration): number[] => FEATURE_NAMES.map((feature) => calibration[feature]);

const logitOf = (features: number[], weights: number[], bias: number): number => {
  let z = bias;
  for (let i = 0; i < features.length; i++) z += features[i] * weights[i];
  return z;
};

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export const scoreFeatures = (features: number[], weights: number[], bias: number): number => sigmoid(logitOf(features, weights, bias));

const hybridLogit = (signals: Signals, calibration: Calibration): number =>
  logitOf(featuresOf(signals), weightsOf(calibration), calibration.bias);

export const hybridScore = (signals: Signals, calibration: Calibration): number => sigmoid(hybridLogit(signals, calibration));

/** Orders hits the way the API answers: best score first, ties by path. */
export const byScoreThenPath = (a: VectorHit, b: VectorHit): number =>
  b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * The highest score a candidate can reach whatever its word-vector signals (the score rises or
 * falls monotonically with each), or whatever those but its `meaning` once that is known: chunks
 * that cannot pass minScore skip computing them (the word-to-word cosines of coverage and unmatched
 * are most of a ranking's time).
 */
const bestCaseScore = (candidate: Candidate, calibration: Calibration, meaning?: number): number =>
  hybridScore(
    {
      cosine: candidate.cosine,
      bm25: candidate.bm25,
      coverage: calibration.coverage >= 0 ? 1 : 0,
      meaning: meaning ?? (calibration.meaning >= 0 ? 1 : -1),
      unmatched: calibration.unmatched >= 0 ? 1 : 0,
    },
    calibration,
  );

/** A candidate's signals (signalsOf), or undefined when its meaning already keeps it under minScore (bestCaseScore). */
function signalsOver(query: RankingQuery, candidate: Candidate, calibration: Calibration, minScore: number): Signals | undefined {
  if (!query.meaning) return signalsOf(query, candidate);
  const worthIt = (meaning: number) => bestCaseScore(candidate, calibration, meaning) >= minScore;
  const signals = query.meaning(candidate.path, candidate.content, candidate.features, worthIt);
  return signals && { cosine: candidate.cosine, bm25: candidate.bm25, ...signals };
}

/**
 * What a chunk's logit loses for lacking the best hit's telling words (RankingQuery.resemblance):
 * `unlikeBest` times the share it lacks; nothing without that step. The best hit is the chunk of
 * the highest logit (ties: the first path), which therefore keeps its own.
 */
function unlikeBest(query: RankingQuery, scored: { candidate: Candidate; z: number }[], calibration: Calibration): (chunk: Text) => number {
  if (!calibration.unlikeBest || !query.resemblance || !scored.length) return () => 0;
  const best = scored.reduce((a, b) => (b.z > a.z || (b.z === a.z && b.candidate.path < a.candidate.path) ? b : a));
  const resemblance = query.resemblance(best.candidate);
  return (chunk) => calibration.unlikeBest * (1 - resemblance(chunk));
}

/** Scores candidate chunks, keeps the best chunk per item with score >= minScore, best first, at most `limit`. */
export function rankCandidates(
  query: RankingQuery,
  candidates: Candidate[],
  calibration: Calibration,
  minScore: number,
  limit: number,
): VectorHit[] {
  const prune = query.meaning && minScore > 0;
  const scored: { candidate: Candidate; z: number }[] = [];
  for (const candidate of candidates) {
    if (prune && bestCaseScore(candidate, calibration) < minScore) continue;
    const signals = prune ? signalsOver(query, candidate, calibration, minScore) : signalsOf(query, candidate);
    if (signals) scored.push({ candidate, z: hybridLogit(signals, calibration) });
  }
  // the best hit is among them whenever any chunk reaches minScore: it was not pruned
  const unlike = unlikeBest(query, scored, calibration);
  const best = new Map<string, VectorHit>();
  for (const { candidate, z } of scored) {
    // the step only lowers a score: a chunk under minScore already stays out
    if (sigmoid(z) < minScore) continue;
    const score = sigmoid(z + unlike(candidate));
    if (score < minScore) continue;
    const previous = best.get(candidate.itemId);
    if (!previous || score > previous.score)
      best.set(candidate.itemId, { itemId: candidate.itemId, path: candidate.path, content: candidate.content, score });
  }
  return [...best.values()].sort(byScoreThenPath).slice(0, limit);
}

/**
 * Weights per embedder kind. `lexical` is fitted on bench/search-quality (logistic regression on
 * graded judgments, see docs/items.md); the dense embedders' cosines run higher for related
 * text and are weighted for Titan V2's documented behaviour, not measured here (no Bedrock access).
 */
const CALIBRATIONS: Record<'lexical' | 'bedrock' | 'openai-compatible', Calibration> = {
  lexical: { cosine: 3.35, coverage: 1.78, bm25: 5.28, meaning: 1.63, unmatched: -0.45, unlikeBest: -3.5, bias: -3.52 },
  bedrock: { cosine: 12, coverage: 3, bm25: 1, meaning: 0, unmatched: 0, unlikeBest: 0, bias: -6.5 },
  'openai-compatible': { cosine: 12, coverage: 3, bm25: 1, meaning: 0, unmatched: 0, unlikeBest: 0, bias: -6.5 },
};

export const calibrationFor = (embedder: keyof typeof CALIBRATIONS): Calibration => CALIBRATIONS[embedder];
