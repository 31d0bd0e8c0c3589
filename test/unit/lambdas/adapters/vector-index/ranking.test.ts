import type { Candidate } from '../../../../../lambdas/adapters/vector-index/port';
import { calibrationFor, coverage, hybridScore, queryTerms, rankCandidates } from '../../../../../lambdas/adapters/vector-index/ranking';

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
    expect(rankCandidates(terms, unrelated, lexical, 0, 10)[0].score).toBeLessThan(0.7);
    expect(rankCandidates(terms, unrelated, lexical, 0.7, 10)).toEqual([]);
  });

  it('a chunk holding every query word with a strong BM25 match passes the default minScore', () => {
    const terms = queryTerms('rollback release');
    const hits = rankCandidates(
      terms,
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
      terms,
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

  it('rises with every signal', () => {
    const base = { cosine: 0.3, coverage: 0.5, bm25: 2 };
    const score = hybridScore(base, lexical);
    expect(hybridScore({ ...base, cosine: 0.6 }, lexical)).toBeGreaterThan(score);
    expect(hybridScore({ ...base, coverage: 1 }, lexical)).toBeGreaterThan(score);
    expect(hybridScore({ ...base, bm25: 10 }, lexical)).toBeGreaterThan(score);
  });
});
