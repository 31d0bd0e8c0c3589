import { DEFAULT_LEXICAL_OPTIONS } from '../../../../../lambdas/adapters/embedder/lexical';
import { rankingFeatures, rankingQuery } from '../../../../../lambdas/items/service/indexing';
import { titleOf } from '../../../../../lambdas/items/service/content';

describe('what the ranking computes of a chunk when it is indexed', () => {
  const query = 'How much vacation do employees get?';
  const leave = 'Staff are entitled to 25 days of paid leave per year.';
  const printer = 'The printer on floor two takes A4 paper.';
  const featuresOf = async (path: string, content: string) =>
    (await rankingFeatures(titleOf(path), [`${titleOf(path)}\n${content}`], DEFAULT_LEXICAL_OPTIONS))?.[0];

  it('is computed only where the ranking weighs word vectors', async () => {
    expect(await featuresOf('/hr/holidays.md', leave)).toBeInstanceOf(Uint8Array);
    expect(await rankingFeatures('# a', ['# a\nb'], { wordVectors: false })).toBeUndefined();
    expect(await rankingFeatures('# a', ['# a\nb'])).toBeUndefined();
  });

  it('is what the search ranks a chunk by, and gives the signals of its text', async () => {
    const { meaning } = await rankingQuery(query, DEFAULT_LEXICAL_OPTIONS);
    const stored = await featuresOf('/hr/holidays.md', leave);
    expect(meaning?.('/hr/holidays.md', leave, stored)).toEqual(meaning?.('/hr/holidays.md', leave));
    // the stored features are read, not the content: those of another text give that text's signals
    const other = await featuresOf('/hr/holidays.md', printer);
    expect(meaning?.('/hr/holidays.md', leave, other)).toEqual(meaning?.('/hr/holidays.md', printer));
    expect(meaning?.('/hr/holidays.md', leave, other)).not.toEqual(meaning?.('/hr/holidays.md', leave));
  });

  it('is not used once the item moved to another file name (its title is part of what was computed)', async () => {
    const { meaning } = await rankingQuery(query, DEFAULT_LEXICAL_OPTIONS);
    const computedUnderOldName = await featuresOf('/notes/printer.md', leave);
    const moved = meaning?.('/hr/vacation.md', leave, computedUnderOldName);
    expect(moved).toEqual(meaning?.('/hr/vacation.md', leave));
    expect(moved).not.toEqual(meaning?.('/notes/printer.md', leave));
    // same file name in another folder: same title, still its own
    expect(meaning?.('/archive/printer.md', leave, computedUnderOldName)).toEqual(meaning?.('/notes/printer.md', leave));
  });

  it('of another format or damaged is ignored: the signals come from the text', async () => {
    const { meaning } = await rankingQuery(query, DEFAULT_LEXICAL_OPTIONS);
    expect(meaning?.('/hr/holidays.md', leave, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]))).toEqual(
      meaning?.('/hr/holidays.md', leave),
    );
  });
});
