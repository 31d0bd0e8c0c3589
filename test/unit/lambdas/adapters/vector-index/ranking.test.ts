import type { Candidate } from '../../../../../lambdas/adapters/vector-index/port';
import {
  type MeaningSignalsOf,
  calibrationFor,
  coverage,
  hybridScore,
  queryTerms,
  rankCandidates,
} from '../../../../../lambdas/adapters/vector-index/ranking';

const lexical = calibrationFor('lexical');

const candidate = (itemId: string, path: string, content: string, cosine: number, bm25: number): Candidate => ({
  itemId,
  path,
  content,
  cosine,
  bm25,
});

describe('hybrid ranking', () => {
  it('scores absolutely: the best hit of a query nothing answers stays below the default minScore', () => {
    const terms = queryTerms('recipe for sourdough bread');
    const unrelated = [
      candidate('a', '/runbooks/rollback-release.md', 'Revert to the previous release when a deployment breaks production.', 0.12, 0),
    ];
    expect(rankCandidates({ terms }, unrelated, lexical, 0, 10)[0].score).toBeLessThan(0.7);
    expect(rankCandidates({ terms }, unrelated, lexical, 0.7, 10)).toEqual([]);
  });

  it('a chunk holding every query word with a strong BM25 match passes the default minScore', () => {
    const terms = queryTerms('rollback release');
    const hits = rankCandidates(
      { terms },
      [candidate('a', '/runbooks/rollback-release.md', 'Rolling back a release: run deployctl rollback.', 0.6, 9)],
      lexical,
      0.7,
      10,
    );
    expect(hits).toHaveLength(1);
    expect(hits[0].score).toBeGreaterThanOrEqual(0.7);
    expect(hits[0].score).toBeLessThanOrEqual(1);
  });

  it('keeps one hit per item (its best chunk), best first, at most limit', () => {
    const terms = queryTerms('database restore backup');
    const hits = rankCandidates(
      { terms },
      [
        candidate('db', '/runbooks/database-restore.md', 'unrelated chunk about lunch', 0.1, 0),
        candidate('db', '/runbooks/database-restore.md', 'Restore the database from a backup snapshot.', 0.7, 12),
        candidate('mig', '/runbooks/database-migrations.md', 'Database migrations run during the deploy.', 0.4, 3),
        candidate('x', '/notes/x.md', 'nothing', 0, 0),
      ],
      lexical,
      0,
      2,
    );
    expect(hits.map((h) => h.itemId)).toEqual(['db', 'mig']);
    expect(hits[0].content).toContain('Restore the database');
  });

  it('counts a query word found in the file name, and a synonym when synonyms are given', () => {
    expect(coverage(queryTerms('rollback checklist'), 'steps to follow', '/runbooks/rollback.md')).toBe(0.5);
    const withSynonyms = queryTerms('vacation policy', (word) => (word === 'vacation' ? ['holiday'] : []));
    expect(coverage(withSynonyms, 'Holidays: 25 days a year.', '/policies/leave.md')).toBe(0.5);
  });

  it('rises with every signal of a match and falls with an unmatched informative query word', () => {
    const base = { cosine: 0.3, coverage: 0.5, bm25: 2, meaning: 0.3, unmatched: 0.5 };
    const score = hybridScore(base, lexical);
    expect(hybridScore({ ...base, cosine: 0.6 }, lexical)).toBeGreaterThan(score);
    expect(hybridScore({ ...base, coverage: 1 }, lexical)).toBeGreaterThan(score);
    expect(hybridScore({ ...base, bm25: 10 }, lexical)).toBeGreaterThan(score);
    expect(hybridScore({ ...base, meaning: 0.7 }, lexical)).toBeGreaterThan(score);
    expect(hybridScore({ ...base, unmatched: 1 }, lexical)).toBeLessThan(score);
  });

  it('takes coverage, meaning and unmatched from word vectors where the query has them', () => {
    const chunks = [
      candidate('leave', '/policies/leave.md', 'Staff get 25 days of paid holidays.', 0.3, 0),
      candidate('print', '/notes/printer.md', 'The printer takes A4 paper.', 0.3, 0),
    ];
    const terms = queryTerms('vacation allowance');
    // the same lexical signals (no shared word): without word vectors the two tie on the path order
    expect(rankCandidates({ terms }, chunks, lexical, 0, 10).map((h) => h.itemId)).toEqual(['print', 'leave']);
    const meaning = (path: string) =>
      path === '/policies/leave.md' ? { meaning: 0.6, coverage: 0.7, unmatched: 0.1 } : { meaning: 0.1, coverage: 0.2, unmatched: 0.9 };
    const hits = rankCandidates({ terms, meaning }, chunks, lexical, 0, 10);
    expect(hits.map((h) => h.itemId)).toEqual(['leave', 'print']);
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
  });

  it('computes word-vector signals only for chunks that could reach minScore', () => {
    const chunks = [
      candidate('strong', '/a.md', 'a strong lexical match', 0.6, 12),
      candidate('hopeless', '/b.md', 'nothing in common', -0.2, 0),
    ];
    const asked: string[] = [];
    const meaning = (path: string) => {
      asked.push(path);
      return { meaning: 0.5, coverage: 1, unmatched: 0 };
    };
    const hits = rankCandidates({ terms: queryTerms('strong match'), meaning }, chunks, lexical, 0.7, 10);
    expect(hits.map((h) => h.itemId)).toEqual(['strong']);
    expect(asked).toEqual(['/a.md']);
    // without a threshold every chunk is scored
    expect(rankCandidates({ terms: queryTerms('strong match'), meaning }, chunks, lexical, 0, 10)).toHaveLength(2);
  });

  it('skips the rest of the word-vector signals of a chunk whose meaning keeps it under minScore whatever its coverage', () => {
    const chunks = [
      candidate('related', '/a.md', 'a lexical match', 0.3, 6),
      candidate('unrelated', '/b.md', 'the same lexical match', 0.3, 6),
    ];
    const meaningOf = (path: string) => (path === '/a.md' ? 0.9 : -0.5);
    const computed: string[] = [];
    const meaning = ((path: string, _content: string, _features?: Uint8Array, worthIt?: (meaning: number) => boolean) => {
      if (worthIt && !worthIt(meaningOf(path))) return undefined;
      computed.push(path);
      return { meaning: meaningOf(path), coverage: 1, unmatched: 0 };
    }) as MeaningSignalsOf;
    const query = { terms: queryTerms('lexical match'), meaning };
    // both could pass on their lexical signals; the unrelated one's meaning cannot, even with full coverage
    const all = rankCandidates(query, chunks, lexical, 0, 10);
    expect(all.map((h) => h.itemId)).toEqual(['related', 'unrelated']);
    const minScore = (all[0].score + all[1].score) / 2;
    computed.length = 0;
    const hits = rankCandidates(query, chunks, lexical, minScore, 10);
    expect(hits).toEqual(all.slice(0, 1));
    expect(computed).toEqual(['/a.md']);
  });

  it("lowers every hit but the best by the share of the best hit's telling words it lacks; the best keeps its score", () => {
    const chunks = [
      candidate('restore', '/runbooks/database-restore.md', 'restore backup snapshot', 0.5, 8),
      candidate('orders', '/postmortems/deleted-orders.md', 'orders restored from the backup snapshot', 0.3, 2),
      candidate('dns', '/runbooks/dns-changes.md', 'dns records change', 0.35, 2),
    ];
    const terms = queryTerms('recover removed records');
    // the orders postmortem shares the best hit's subject, the DNS runbook only a query word
    const resemblance = () => (chunk: { path: string }) =>
      ({ '/runbooks/database-restore.md': 1, '/postmortems/deleted-orders.md': 0.8, '/runbooks/dns-changes.md': 0 })[chunk.path] ?? 0;
    const without = rankCandidates({ terms }, chunks, lexical, 0, 10);
    expect(without.map((h) => h.itemId)).toEqual(['restore', 'dns', 'orders']);
    const hits = rankCandidates({ terms, resemblance }, chunks, lexical, 0, 10);
    expect(hits.map((h) => h.itemId)).toEqual(['restore', 'orders', 'dns']);
    expect(hits[0].score).toBe(without[0].score);
    const logit = (score: number) => Math.log(score / (1 - score));
    const lost = (id: string) =>
      logit(without.find((h) => h.itemId === id)?.score ?? 0) - logit(hits.find((h) => h.itemId === id)?.score ?? 0);
    expect(lost('orders')).toBeCloseTo(-lexical.unlikeBest * 0.2, 6);
    expect(lost('dns')).toBeCloseTo(-lexical.unlikeBest, 6);
    // a threshold the DNS runbook passed on its own signals it no longer passes
    const minScore = (hits[1].score + hits[2].score) / 2;
    expect(without.find((h) => h.itemId === 'dns')?.score).toBeGreaterThan(minScore);
    expect(rankCandidates({ terms, resemblance }, chunks, lexical, minScore, 10).map((h) => h.itemId)).toEqual(['restore', 'orders']);
  });

  it('has no such step where the calibration gives it no weight (the dense embedders)', () => {
    const chunks = [candidate('a', '/a.md', 'alpha beta', 0.6, 3), candidate('b', '/b.md', 'gamma', 0.4, 3)];
    const terms = queryTerms('alpha');
    const dense = calibrationFor('openai-compatible');
    expect(dense.unlikeBest).toBe(0);
    expect(rankCandidates({ terms, resemblance: () => () => 0 }, chunks, dense, 0, 10)).toEqual(
      rankCandidates({ terms }, chunks, dense, 0, 10),
    );
  });

  it('hands the word-vector signals what was computed of a chunk when it was indexed, where the engine kept it', () => {
    const stored = new Uint8Array([7, 8, 9]);
    const chunks = [{ ...candidate('kept', '/a.md', 'alpha', 0.5, 1), features: stored }, candidate('none', '/b.md', 'beta', 0.5, 1)];
    const given: [string, string, Uint8Array | undefined][] = [];
    const meaning = (path: string, content: string, features?: Uint8Array) => {
      given.push([path, content, features]);
      return { meaning: 0.5, coverage: 1, unmatched: 0 };
    };
    rankCandidates({ terms: queryTerms('alpha'), meaning }, chunks, lexical, 0, 10);
    expect(given).toEqual([
      ['/a.md', 'alpha', stored],
      ['/b.md', 'beta', undefined],
    ]);
  });
});
