import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@lancedb/lancedb';
import { DEFAULT_LEXICAL_OPTIONS } from '../../../../../lambdas/adapters/embedder/lexical';
import { LocalVectorIndex } from '../../../../../lambdas/adapters/vector-index/local';
import { vectorIndex } from '../../../../../lambdas/adapters/vector-index/select';
import {
  closeLexicalThread,
  embedChunks,
  embedTexts,
  findHits,
  querySentence,
  rankingFeatures,
  rankingQuery,
  storedSentence,
} from '../../../../../lambdas/items/service/indexing';
import { wordVectors } from '../../../../../lambdas/adapters/word-vectors';
import { titleOf } from '../../../../../lambdas/items/service/content';
import { LexicalThread } from '../../../../../lambdas/adapters/embedder/lexical-thread';
import type { IndexedChunk } from '../../../../../lambdas/adapters/vector-index/port';

describe('what the ranking computes of a chunk when it is indexed', () => {
  const query = 'How much vacation do employees get?';
  const leave = 'Staff are entitled to 25 days of paid leave per year.';
  const printer = 'The printer on floor two takes A4 paper.';
  const featuresOf = async (path: string, content: string) =>
    (await rankingFeatures(titleOf(path), [`${titleOf(path)}\n${content}`], DEFAULT_LEXICAL_OPTIONS))?.[0]?.features;

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

describe("a hit's resemblance to the best one", () => {
  it("is the share of the best hit's telling words a chunk has, by their information in English", async () => {
    const { resemblance } = await rankingQuery('RPO RTO', DEFAULT_LEXICAL_OPTIONS);
    const glossary = {
      path: '/notes/glossary.md',
      content: 'RPO: recovery point objective, the data we may lose. RTO: recovery time objective, how long recovery may take.',
    };
    const like = resemblance?.(glossary);
    expect(like?.(glossary)).toBe(1);
    const plan = like?.({
      path: '/notes/disaster-recovery.md',
      content: 'Recovery point objective 15 minutes; recovery time objective one hour.',
    });
    const lunch = like?.({ path: '/notes/office.md', content: 'Lunch is served at noon in the kitchen.' });
    expect(plan).toBeGreaterThan(0.5);
    expect(lunch).toBe(0);
    expect((await rankingQuery('RPO RTO')).resemblance).toBeUndefined();
  });

  it("reads a chunk's stems from its stored features when they are of its title, the same share as of its text; else its text", async () => {
    const { resemblance } = await rankingQuery('recover removed records', DEFAULT_LEXICAL_OPTIONS);
    const featuresOf = async (path: string, content: string) =>
      (await rankingFeatures(titleOf(path), [`${titleOf(path)}\n${content}`], DEFAULT_LEXICAL_OPTIONS))?.[0]?.features;
    const best = {
      path: '/ops/backups.md',
      content: 'Restore the database from the nightly backup snapshot; the backup keeps deleted rows.',
    };
    const like = resemblance?.(best);
    const chunks = [
      { path: '/ops/restore.md', content: 'The orders were brought back from a nightly backup snapshot.' },
      { path: '/ops/backup-snapshots.md', content: 'Snapshots run at night; deleted rows are kept.' },
      { path: '/notes/office.md', content: 'Lunch is served at noon in the kitchen.' },
      best,
    ];
    for (const chunk of chunks) {
      const own = like?.(chunk);
      expect(like?.({ ...chunk, features: await featuresOf(chunk.path, chunk.content) })).toBe(own);
      // features of another text are read, not the content (as the meaning reads them)
      expect(like?.({ ...chunk, features: await featuresOf(chunk.path, 'nightly backup snapshot database rows') })).toBe(
        like?.({ path: chunk.path, content: 'nightly backup snapshot database rows' }),
      );
      // computed under another file name, of another format or damaged: the text counts
      expect(like?.({ ...chunk, features: await featuresOf('/elsewhere/backup.md', 'nightly backup snapshot') })).toBe(own);
      expect(like?.({ ...chunk, features: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) })).toBe(own);
    }
    expect(new Set(chunks.map((chunk) => like?.(chunk))).size).toBeGreaterThan(2);
  });
});

describe('the sentence vectors the local index finds nearest chunks by', () => {
  const leave = 'Staff are entitled to 25 days of paid leave per year.';
  const chunkOf = async (path: string, content: string) =>
    (await rankingFeatures(titleOf(path), [`${titleOf(path)}\n${content}`], DEFAULT_LEXICAL_OPTIONS))?.[0];
  const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

  it("come with each chunk of the offline embedder: unit vectors of the word vectors' dimension, none without a known word", async () => {
    const chunk = await chunkOf('/hr/holidays.md', leave);
    expect(chunk?.sentence).toHaveLength(wordVectors().dimension);
    expect(cosine(chunk?.sentence as Float32Array, chunk?.sentence as Float32Array)).toBeCloseTo(1, 5);
    expect((await rankingFeatures('qzxv', ['qzxv\nvbnq 42x'], DEFAULT_LEXICAL_OPTIONS))?.[0]?.sentence).toBeUndefined();
    expect(await querySentence('zzqx vbnq')).toBeUndefined();
  });

  it('bring a paraphrase nearer than an unrelated note, though they share no word', async () => {
    const query = (await querySentence('How many holidays do employees get?')) as Float32Array;
    const leaveNote = (await chunkOf('/hr/policy.md', leave))?.sentence as Float32Array;
    const printerNote = (await chunkOf('/hr/policy.md', 'The printer on floor two takes A4 paper.'))?.sentence as Float32Array;
    expect(cosine(query, leaveNote)).toBeGreaterThan(cosine(query, printerNote) + 0.1);
  });

  it('of a chunk an index kept without one are those indexing computes: from its stored features, or its text when they are of another title', async () => {
    const chunk = await chunkOf('/hr/holidays.md', leave);
    expect(await storedSentence('/hr/holidays.md', leave, chunk?.features)).toEqual(chunk?.sentence);
    expect(await storedSentence('/hr/holidays.md', leave)).toEqual(chunk?.sentence);
    // moved to another file name since: the new title's words count
    expect(await storedSentence('/hr/vacation.md', leave, chunk?.features)).toEqual((await chunkOf('/hr/vacation.md', leave))?.sentence);
    expect(await storedSentence('/x/qzxv', 'vbnq')).toBeUndefined();
  });
});

describe('the chunks indexing embeds (embedTexts)', () => {
  afterAll(() => closeLexicalThread());

  it('are computed on the worker thread in the local runtime, in the function itself in Lambda: the same to the bit', async () => {
    const thread = jest.spyOn(LexicalThread.prototype, 'vectors');
    const texts = ['Staff are entitled to 25 days of paid leave per year.', 'The printer on floor two takes A4 paper.', 'qzxv 42x'];
    const asBytes = (chunks: IndexedChunk[]) =>
      chunks.map(({ content, vector, features, sentence }) => ({
        content,
        vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
        features: features && Buffer.from(features),
        sentence: sentence && Buffer.from(sentence.buffer, sentence.byteOffset, sentence.byteLength),
      }));
    try {
      const local = await embedTexts('/hr/holidays.md', texts);
      expect(thread).toHaveBeenCalledTimes(1);
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'satchel-items';
      const inLambda = await embedTexts('/hr/holidays.md', texts);
      expect(thread).toHaveBeenCalledTimes(1);
      expect(asBytes(local)).toEqual(asBytes(inLambda));
      expect(local.map((chunk) => chunk.content)).toEqual(texts);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      thread.mockRestore();
    }
  });
});

describe('a search index made before sentence vectors were stored, opened by this version', () => {
  const home = mkdtempSync(join(tmpdir(), 'satchel-upgrade-'));
  afterAll(async () => {
    await ((await vectorIndex()) as LocalVectorIndex).close();
    rmSync(home, { recursive: true, force: true });
  });

  it('answers as before at once, then gives every chunk its sentence vector, and answers the same', async () => {
    process.env.SATCHEL_HOME = home;
    const notes: Record<string, string> = {
      '/hr/holidays.md': 'Staff are entitled to 25 days of paid leave per year.',
      '/it/printer.md': 'The printer on floor two takes A4 paper.',
      '/ops/rollback.md': 'To undo a broken release, redeploy the previous build from the pipeline.',
    };
    // the index as the version before wrote it: the embedder's vectors and the ranking's features, no sentence vectors
    const old = await LocalVectorIndex.open(join(home, 'search-index'));
    for (const [i, [path, text]] of Object.entries(notes).entries()) {
      const chunks = (await embedChunks(path, text)).map(({ content, vector, features }) => ({ content, vector, features }));
      await old.putItem({ itemId: `item-${i}`, tenant: 't1', scope: 'company', scopeId: '-', path }, chunks);
    }
    await old.close();
    const ref = { tenant: 't1', scope: 'company' as const, scopeId: '-' };
    // the cosines are now computed here rather than by LanceDB: equal to float precision
    const search = async () =>
      (await findHits(ref, 'How many vacation days do employees get?', 10, 0, 1_000)).map((hit) => ({
        ...hit,
        score: hit.score.toFixed(6),
      }));
    const before = await search();
    expect(before[0].path).toBe('/hr/holidays.md');
    await ((await vectorIndex()) as LocalVectorIndex).settle(); // the fill the first search started
    const table = await (await connect(join(home, 'search-index'))).openTable('chunks_1024');
    expect(await table.countRows('sentence IS NULL')).toBe(0);
    expect(await search()).toEqual(before);
  });
});
