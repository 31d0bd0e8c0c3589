import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryVector, type Embedder } from '../lambdas/adapters/embedder/port';
import { DEFAULT_LEXICAL_OPTIONS, LexicalEmbedder, type LexicalOptions } from '../lambdas/adapters/embedder/lexical';
import { LocalVectorIndex } from '../lambdas/adapters/vector-index/local';
import {
  calibrationFor,
  FEATURE_NAMES,
  featuresOf,
  fileNameStems,
  queryTerms,
  type QueryTerms,
  rankCandidates,
  scoreFeatures,
  signalsOf,
  termShare,
  type Calibration,
} from '../lambdas/adapters/vector-index/ranking';
import { contentWords, stem } from '../lambdas/adapters/text-terms';
import type { Candidate } from '../lambdas/adapters/vector-index/port';
import { synonymsOf } from '../lambdas/adapters/wordnet';
import { config } from '../lambdas/kit/config';
import { chunkText, titleOf } from '../lambdas/items/service/content';
import { DOCUMENTS, QUERIES, type EvalQuery, type QueryKind } from './search-quality-set';

/**
 * `npm run bench -- search-quality [--fit]`
 *
 * Ranking quality and score calibration on the evaluation set of bench/search-quality-set.ts,
 * through the local engine (LanceDB) and the ranking the API uses, next to a plain BM25 baseline
 * (whole documents, no stemming) over the same documents. nDCG@10, MRR and recall@10 rank all
 * candidates (minScore 0); at the default minScore 0.7 it counts answerable queries with at least
 * one relevant hit and unanswerable queries with none.
 *
 * With the configured embedder (SATCHEL_EMBEDDER, default lexical) and the shipped calibration.
 * `--fit` also measures each step of the offline embedder (bag of words, + stemming, + trigrams,
 * + WordNet synonyms), fitting the calibration of each by logistic regression on all queries
 * and, to show how it generalises, in two folds (fit on one half of the queries, measure the other).
 */
const MIN_SCORE = 0.7;
const TENANT = { tenant: 'eval', scope: 'company', scopeId: '-' };
const KINDS: QueryKind[] = ['paraphrase', 'keyword', 'question'];

interface Ranked {
  query: EvalQuery;
  /** Candidates (chunks) with their signals. */
  candidates: Candidate[];
  /** The calibration's features (ranking.ts) and the candidate signals measured here (SIGNALS), for fitting fast. */
  features: { path: string; x: number[] }[];
  terms: QueryTerms;
}

/** The ranking of rankCandidates computed from precomputed features (same formula; fast enough to scan biases). */
function rankFeatures(r: Ranked, m: Model, minScore: number): string[] {
  const best = new Map<string, number>();
  for (const { path, x } of r.features) {
    const score = scoreFeatures(x, m.weights, m.bias);
    if (score >= minScore && score > (best.get(path) ?? -1)) best.set(path, score);
  }
  return [...best.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([path]) => path);
}

// ---- candidate signals, measured here before any goes into ranking.ts ----

/** Every feature: the shipped ones (ranking.ts) and the candidates below. */
const SIGNALS = [...FEATURE_NAMES, 'name', 'proximity'] as const;

/** File name as a field of its own: share of the query terms in the file name alone. */
const nameCoverage = (terms: QueryTerms, path: string): number => termShare(terms, fileNameStems(path));

/** Content words within which query terms count as close together. */
const PROXIMITY_WINDOW = 8;

/** Term proximity: the largest share of the query terms found within PROXIMITY_WINDOW consecutive content words of the chunk. */
function proximity(terms: QueryTerms, content: string): number {
  if (!terms.length) return 0;
  const termOf = new Map<string, number>();
  for (const [i, alternatives] of terms.entries()) {
    for (const s of alternatives) if (!termOf.has(s)) termOf.set(s, i);
  }
  const positions: { at: number; term: number }[] = [];
  contentWords(content).forEach((word, at) => {
    const term = termOf.get(stem(word));
    if (term !== undefined) positions.push({ at, term });
  });
  let best = 0;
  const counts = new Map<number, number>();
  for (let left = 0, right = 0; right < positions.length; right++) {
    counts.set(positions[right].term, (counts.get(positions[right].term) ?? 0) + 1);
    while (positions[right].at - positions[left].at >= PROXIMITY_WINDOW) {
      const term = positions[left++].term;
      const n = (counts.get(term) ?? 1) - 1;
      if (n) counts.set(term, n);
      else counts.delete(term);
    }
    best = Math.max(best, counts.size);
  }
  return best / terms.length;
}

/** A calibration over SIGNALS (weights in that order). */
interface Model {
  weights: number[];
  bias: number;
}

const describe = (m: Model): string =>
  JSON.stringify(Object.fromEntries([...SIGNALS.map((name, j) => [name, m.weights[j]]).filter(([, w]) => w !== 0), ['bias', m.bias]]));

async function retrieve(embedder: Embedder, synonyms: boolean): Promise<Ranked[]> {
  const dir = mkdtempSync(join(tmpdir(), 'satchel-quality-'));
  const index = await LocalVectorIndex.open(dir);
  try {
    for (const [i, doc] of DOCUMENTS.entries()) {
      const chunks = chunkText(doc.content);
      const vectors = await embedder.embed(chunks.map((chunk) => `${titleOf(doc.path)}\n${chunk}`));
      await index.putItem(
        { ...TENANT, itemId: `doc-${i}`, path: doc.path },
        chunks.map((content, j) => ({ content, vector: vectors[j] })),
      );
    }
    // a settled index: without this, the queries meet a background compaction at a varying point and
    // BM25 (its statistics differ between indexed and not yet indexed rows) varies from run to run
    await index.maintain();
    const ranked: Ranked[] = [];
    for (const query of QUERIES) {
      const vector = await queryVector(embedder, query.query);
      const candidates = await index.search({ ...TENANT, text: query.query, vector, candidates: 100, now: Date.now() / 1000 });
      const terms = queryTerms(query.query, synonyms ? synonymsOf : undefined);
      ranked.push({
        query,
        candidates,
        terms,
        features: candidates.map((c) => ({
          path: c.path,
          x: [...featuresOf(signalsOf(terms, c)), nameCoverage(terms, c.path), proximity(terms, c.content)],
        })),
      });
    }
    return ranked;
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- metrics ----

const grade = (query: EvalQuery, path: string): number => query.relevant[path] ?? 0;

function ndcgAt10(query: EvalQuery, paths: string[]): number {
  const dcg = (grades: number[]) => grades.slice(0, 10).reduce((sum, g, i) => sum + (2 ** g - 1) / Math.log2(i + 2), 0);
  const ideal = dcg(Object.values(query.relevant).sort((a, b) => b - a));
  return ideal === 0 ? 0 : dcg(paths.map((p) => grade(query, p))) / ideal;
}

const mrr = (query: EvalQuery, paths: string[]): number => {
  const i = paths.findIndex((p) => grade(query, p) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
};

const recallAt10 = (query: EvalQuery, paths: string[]): number => {
  const relevant = Object.keys(query.relevant);
  return relevant.filter((p) => paths.slice(0, 10).includes(p)).length / relevant.length;
};

interface Figures {
  byKind: Record<string, { ndcg: number; mrr: number; recall: number; n: number }>;
}

function rankingFigures(rankings: { query: EvalQuery; paths: string[] }[]): Figures {
  const byKind: Figures['byKind'] = {};
  for (const kind of [...KINDS, 'all answerable']) {
    const subset = rankings.filter((r) => r.query.kind !== 'unanswerable' && (kind === 'all answerable' || r.query.kind === kind));
    const mean = (f: (r: (typeof subset)[number]) => number) => subset.reduce((s, r) => s + f(r), 0) / subset.length;
    byKind[kind] = {
      ndcg: mean((r) => ndcgAt10(r.query, r.paths)),
      mrr: mean((r) => mrr(r.query, r.paths)),
      recall: mean((r) => recallAt10(r.query, r.paths)),
      n: subset.length,
    };
  }
  return { byKind };
}

/** At minScore: answerable queries with a relevant hit, unanswerable ones with none, and hits that are not relevant. */
function thresholdFigures(rankings: { query: EvalQuery; hits: string[] }[]) {
  const answerable = rankings.filter((r) => r.query.kind !== 'unanswerable');
  const unanswerable = rankings.filter((r) => r.query.kind === 'unanswerable');
  const allHits = answerable.flatMap((r) => r.hits.map((p) => grade(r.query, p)));
  return {
    answered: answerable.filter((r) => r.hits.some((p) => grade(r.query, p) > 0)).length / answerable.length,
    empty: unanswerable.filter((r) => r.hits.length === 0).length / unanswerable.length,
    precision: allHits.length ? allHits.filter((g) => g > 0).length / allHits.length : 1,
    answerableN: answerable.length,
    unanswerableN: unanswerable.length,
  };
}

const hybridRankings = (ranked: Ranked[], calibration: Calibration, minScore: number) =>
  ranked.map(({ query, candidates, terms }) => ({
    query,
    paths: rankCandidates(terms, candidates, calibration, minScore, 50).map((h) => h.path),
  }));

// ---- the BM25 baseline: whole documents, lower-cased words, stop words out, no stemming ----

function bm25Baseline(): { query: EvalQuery; paths: string[] }[] {
  const k1 = 1.2;
  const b = 0.75;
  const docs = DOCUMENTS.map((d) => {
    const words = contentWords(`${titleOf(d.path)}\n${d.content}`);
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    return { path: d.path, tf, length: words.length };
  });
  const avgdl = docs.reduce((s, d) => s + d.length, 0) / docs.length;
  const df = new Map<string, number>();
  for (const d of docs) for (const w of d.tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = (w: string) => Math.log(1 + (docs.length - (df.get(w) ?? 0) + 0.5) / ((df.get(w) ?? 0) + 0.5));
  return QUERIES.map((query) => {
    const terms = [...new Set(contentWords(query.query))];
    const scored = docs.map((d) => ({
      path: d.path,
      score: terms.reduce((s, t) => {
        const f = d.tf.get(t) ?? 0;
        return s + (f ? idf(t) * ((f * (k1 + 1)) / (f + k1 * (1 - b + (b * d.length) / avgdl))) : 0);
      }, 0),
    }));
    return {
      query,
      paths: scored
        .filter((s) => s.score > 0)
        .sort((x, y) => y.score - x.score)
        .map((s) => s.path),
    };
  });
}

// ---- fitting the calibration: logistic regression on the features (ranking.ts) -> relevant ----

/** Signals a model may weigh (SIGNALS order): 1 = fitted, 0 = left out. */
type Mask = readonly number[];
const SHIPPED_SIGNALS: Mask = SIGNALS.map((_, j) => (j < FEATURE_NAMES.length ? 1 : 0));
const ALL_SIGNALS: Mask = SIGNALS.map(() => 1);

function fitCalibration(ranked: Ranked[], mask: Mask = SHIPPED_SIGNALS): Model {
  const n = SIGNALS.length;
  const rows = ranked.flatMap(({ query, features }) =>
    features.map((f) => ({ x: f.x.map((v, j) => v * mask[j]), y: grade(query, f.path) > 0 ? 1 : 0 })),
  );
  // class-balanced: relevant and other candidates weigh the same in total (prior odds 1:1), so a
  // score of 0.7 means the signals favour "relevant" about 2.3 to 1 whatever the share of relevant chunks
  const positives = rows.filter((r) => r.y === 1).length;
  const weightOf = (y: number) => (y === 1 ? rows.length / (2 * positives) : rows.length / (2 * (rows.length - positives)));
  let w = new Array<number>(n).fill(0);
  let bias = 0;
  const l2 = 1e-3;
  for (let step = 0; step < 3000; step++) {
    const gw = new Array<number>(n).fill(0);
    let gb = 0;
    for (const { x, y } of rows) {
      const p = scoreFeatures(x, w, bias);
      const weight = weightOf(y);
      for (let j = 0; j < n; j++) gw[j] += weight * (p - y) * x[j];
      gb += weight * (p - y);
    }
    w = w.map((wj, j) => wj - 2 * (gw[j] / rows.length + l2 * wj));
    bias -= 2 * (gb / rows.length);
  }
  const round = (v: number) => Math.round(v * 100) / 100;
  const fitted = { weights: w.map((wj, j) => round(wj) * mask[j]), bias: round(bias) };
  return { ...fitted, bias: operatingBias(ranked, fitted) };
}

/**
 * The weights rank; the bias places the default minScore. Chosen once for the whole set: the bias
 * that maximises (answerable queries with a relevant hit) + (unanswerable queries without hits)
 * at 0.7, the stricter one on ties. The two-fold run shows how it holds on queries it was not chosen on.
 */
function operatingBias(ranked: Ranked[], model: Model): number {
  let best = { bias: model.bias, value: -1 };
  for (let bias = -12; bias <= 2; bias += 0.05) {
    const t = thresholdFigures(ranked.map((r) => ({ query: r.query, hits: rankFeatures(r, { ...model, bias }, MIN_SCORE) })));
    const value = t.answered + t.empty;
    if (value > best.value + 1e-9) best = { bias: Math.round(bias * 100) / 100, value };
  }
  return best.bias;
}

// ---- printing ----

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const f3 = (v: number) => v.toFixed(3);

function printRanking(label: string, figures: Figures, baseline?: Figures): void {
  const cells = [...KINDS, 'all answerable'].map((kind) => {
    const f = figures.byKind[kind];
    const ratio = baseline ? ` (${(f.ndcg / baseline.byKind[kind].ndcg).toFixed(2)}x)` : '';
    return `${kind} ${f3(f.ndcg)}${ratio} / ${f3(f.mrr)} / ${f3(f.recall)}`;
  });
  console.log(`  ${label.padEnd(34)} nDCG@10 / MRR / recall@10: ${cells.join(' | ')}`);
}

function printThreshold(label: string, t: ReturnType<typeof thresholdFigures>): void {
  console.log(
    `  ${label.padEnd(34)} at minScore ${MIN_SCORE}: answerable with a relevant hit ${pct(t.answered)} (of ${t.answerableN}), ` +
      `unanswerable with none ${pct(t.empty)} (of ${t.unanswerableN}), relevant share of all hits ${pct(t.precision)}`,
  );
}

/** A shipped calibration, through the API's own ranking (rankCandidates). */
function evaluate(label: string, ranked: Ranked[], calibration: Calibration, baseline: Figures): void {
  printRanking(label, rankingFigures(hybridRankings(ranked, calibration, 0)), baseline);
  printThreshold(label, thresholdFigures(hybridRankings(ranked, calibration, MIN_SCORE).map((r) => ({ query: r.query, hits: r.paths }))));
}

/** A fitted model over SIGNALS. */
function evaluateModel(label: string, ranked: Ranked[], model: Model, baseline: Figures): void {
  printRanking(label, rankingFigures(ranked.map((r) => ({ query: r.query, paths: rankFeatures(r, model, 0) }))), baseline);
  printThreshold(label, thresholdFigures(ranked.map((r) => ({ query: r.query, hits: rankFeatures(r, model, MIN_SCORE) }))));
}

/**
 * Two folds: calibration fitted on one half of the queries (alternating), figures measured on the
 * other: the ranking (minScore 0) and the threshold figures at the default minScore.
 */
function crossValidate(label: string, ranked: Ranked[], baseline: Figures, mask?: Mask): void {
  const halves = [ranked.filter((_, i) => i % 2 === 0), ranked.filter((_, i) => i % 2 === 1)];
  const [first, second] = [fitCalibration(halves[0], mask), fitCalibration(halves[1], mask)];
  const heldOut = (minScore: number) => [
    ...halves[1].map((r) => ({ query: r.query, paths: rankFeatures(r, first, minScore) })),
    ...halves[0].map((r) => ({ query: r.query, paths: rankFeatures(r, second, minScore) })),
  ];
  const name = `${label} (2-fold, held out)`;
  printRanking(name, rankingFigures(heldOut(0)), baseline);
  printThreshold(
    `${name} biases ${first.bias}, ${second.bias}`,
    thresholdFigures(heldOut(MIN_SCORE).map((r) => ({ query: r.query, hits: r.paths }))),
  );
}

const STEPS: { name: string; options: LexicalOptions; coverageSynonyms?: boolean }[] = [
  { name: 'bag of words', options: { stemming: false, trigrams: false, synonyms: false } },
  { name: '+ stemming', options: { stemming: true, trigrams: false, synonyms: false } },
  { name: '+ trigrams', options: { stemming: true, trigrams: true, synonyms: false } },
  { name: '+ WordNet synonyms (query vector)', options: { stemming: true, trigrams: true, synonyms: true } },
  { name: '+ WordNet synonyms (vector + coverage)', options: { stemming: true, trigrams: true, synonyms: true }, coverageSynonyms: true },
  { name: 'synonyms in coverage only', options: { stemming: true, trigrams: true, synonyms: false }, coverageSynonyms: true },
];

export async function run(args: string[]): Promise<void> {
  console.log(
    `search quality: ${DOCUMENTS.length} documents, ${QUERIES.length} queries (${[...KINDS, 'unanswerable'].map((k) => `${QUERIES.filter((q) => q.kind === k).length} ${k}`).join(', ')})`,
  );
  const baseline = rankingFigures(bm25Baseline());
  printRanking('BM25 baseline', baseline);
  printThreshold('BM25 baseline (any match = hit)', thresholdFigures(bm25Baseline().map((r) => ({ query: r.query, hits: r.paths }))));

  const { embedder } = await import('../lambdas/adapters/embedder/select');
  const shipped = calibrationFor(config.embedder);
  const ranked = await retrieve(await embedder(), config.embedder === 'lexical' && DEFAULT_LEXICAL_OPTIONS.synonyms);
  console.log(
    `\nshipped: embedder ${config.embedder}${config.embedder === 'lexical' ? ` (${JSON.stringify(DEFAULT_LEXICAL_OPTIONS)})` : ''}, calibration ${JSON.stringify(shipped)}`,
  );
  evaluate('hybrid (shipped)', ranked, shipped, baseline);
  evaluate('vector only', ranked, { cosine: 10, coverage: 0, bm25: 0, bias: -5 }, baseline);

  if (args.includes('--fit')) await embedderSteps(baseline);
  if (args.includes('--fit') || args.includes('--signals')) await signalSteps(baseline);
}

/** Each step of the offline embedder, with the signals of the shipped calibration. */
async function embedderSteps(baseline: Figures): Promise<void> {
  console.log('\noffline embedder step by step, calibration fitted on all queries (and held out in two folds):');
  for (const step of STEPS) {
    const stepRanked = await retrieve(new LexicalEmbedder(config.embeddingDimension, step.options), step.coverageSynonyms === true);
    const model = fitCalibration(stepRanked);
    console.log(`${step.name}: calibration ${describe(model)}`);
    evaluateModel(step.name, stepRanked, model, baseline);
    crossValidate(step.name, stepRanked, baseline);
  }
}

/** What each ranking signal adds, with the full offline embedder. */
async function signalSteps(baseline: Figures): Promise<void> {
  console.log('\nranking signals (full offline embedder), fitted on all queries and held out in two folds:');
  const full = await retrieve(new LexicalEmbedder(config.embeddingDimension), DEFAULT_LEXICAL_OPTIONS.synonyms);
  const masks: [string, Mask][] = [
    ['cosine + coverage + BM25', SHIPPED_SIGNALS],
    ['+ file name', [1, 1, 1, 1, 0]],
    ['+ proximity', [1, 1, 1, 0, 1]],
    ['+ file name + proximity', ALL_SIGNALS],
    ['all without coverage', [1, 0, 1, 1, 1]],
    ['all without BM25', [1, 1, 0, 1, 1]],
    ['all without cosine', [0, 1, 1, 1, 1]],
  ];
  for (const [name, mask] of masks) {
    const model = fitCalibration(full, mask);
    console.log(`signals ${name}: calibration ${describe(model)}`);
    evaluateModel(`signals ${name}`, full, model, baseline);
    crossValidate(`signals ${name}`, full, baseline, mask);
  }
}
