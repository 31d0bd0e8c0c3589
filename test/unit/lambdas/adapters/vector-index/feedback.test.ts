import { FEEDBACK_WORDS, resemblanceTo } from '../../../../../lambdas/adapters/vector-index/feedback';
import { queryTerms } from '../../../../../lambdas/adapters/vector-index/ranking';
import { stemSet } from '../../../../../lambdas/adapters/text-terms';

/** Every word equally informative, but the ones named. */
const information =
  (rare: Record<string, number> = {}) =>
  (word: string) =>
    rare[word] ?? 0.5;

describe('resemblance to the best hit', () => {
  const best = 'Restore the database from the nightly backup snapshot; the backup keeps deleted rows for 30 days.';
  const terms = queryTerms('recover removed records');

  it('is 1 for the best hit itself, and the share of its telling words another text has', () => {
    const resemblance = resemblanceTo(best, terms, information());
    expect(resemblance(best)).toBe(1);
    expect(resemblance('Lunch is served at noon.')).toBe(0);
    const some = resemblance('The orders were brought back from a backup snapshot.');
    expect(some).toBeGreaterThan(0);
    expect(some).toBeLessThan(1);
  });

  it("weighs a word by how often the best hit says it and how rare it is; the query's own words do not count", () => {
    const resemblance = resemblanceTo(best, terms, information({ snapshot: 0.9 }));
    // "backup" twice, "snapshot" once but rarer, "nightly" once
    expect(resemblance('a backup')).toBeGreaterThan(resemblance('a nightly'));
    expect(resemblance('a snapshot')).toBeGreaterThan(resemblance('a nightly'));
    // words the best hit shares with the query say nothing about what else it is about
    const withQueryWord = resemblanceTo('Recover removed records from the backup.', queryTerms('recover removed records'), information());
    expect(withQueryWord('recover removed records')).toBe(0);
    expect(withQueryWord('backup')).toBe(1);
  });

  it(`keeps only the best hit's ${FEEDBACK_WORDS} most telling words`, () => {
    const words = Array.from({ length: FEEDBACK_WORDS + 5 }, (_, i) => `word${String.fromCharCode(97 + i)}`);
    // the first words said twice: they are the telling ones
    const text = [...words.slice(0, FEEDBACK_WORDS), ...words].join(' ');
    const resemblance = resemblanceTo(text, queryTerms('nothing'), information());
    expect(resemblance(words.slice(0, FEEDBACK_WORDS).join(' '))).toBe(1);
    expect(resemblance(words.slice(FEEDBACK_WORDS).join(' '))).toBe(0);
  });

  it('of a text whose distinct stems are given (TextFeatures.stems) is the share of those, the text not read', () => {
    const resemblance = resemblanceTo(best, terms, information({ snapshot: 0.9 }));
    const text = 'The orders were brought back from a nightly backup snapshot.';
    expect(resemblance({ stems: ` ${[...stemSet(text)].join(' ')} ` })).toBe(resemblance(text));
    expect(resemblance(text)).toBeGreaterThan(0);
    expect(resemblance({ stems: ' lunch ' })).toBe(0);
    // a stem inside another is not it
    expect(resemblance({ stems: ' backups snapshoting ' })).toBe(0);
  });

  it('is 1 for every text when the best hit says nothing besides the query', () => {
    const resemblance = resemblanceTo('Rollback release.', queryTerms('rollback release'), information());
    expect(resemblance('anything else')).toBe(1);
  });
});
