import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LexicalEmbedder } from '../../../../../lambdas/adapters/embedder/lexical';
import { LexicalThread, type ChunkJob, type ChunkVectors } from '../../../../../lambdas/adapters/embedder/lexical-thread';
import { chunkFeatures } from '../../../../../lambdas/adapters/word-vectors';
import { logger } from '../../../../../lambdas/kit/observability';
import { variedTexts } from '../../../../support/varied-text';

/** The chunk vectors of a job computed in this thread, as indexing does without the worker. */
async function inThisThread({ dimension, title, texts, features }: ChunkJob): Promise<ChunkVectors[]> {
  const vectors = await new LexicalEmbedder(dimension).embed(texts);
  return vectors.map((vector, i) => ({ vector, ...(features ? chunkFeatures(texts[i], title) : {}) }));
}

const bytes = (view?: ArrayBufferView) => view && Buffer.from(view.buffer, view.byteOffset, view.byteLength);

/** Every vector and feature byte of the chunks (undefined where a chunk has none). */
const asBytes = (chunks: ChunkVectors[]) =>
  chunks.map((chunk) => ({ vector: bytes(chunk.vector), features: bytes(chunk.features), sentence: bytes(chunk.sentence) }));

const jobOf = (texts: string[], dimension = 256, features = true): ChunkJob => ({
  dimension,
  title: 'notes.md',
  texts: texts.map((text) => `notes.md\n${text}`),
  features,
});

/**
 * The varied texts but those of long unbroken tokens: the bit-identity tests of the embedder and of
 * textFeatures cross the caches' character bound with them (the same code runs in the worker); here
 * they would take minutes. The text of more distinct words than the caches remember stays.
 */
const texts = variedTexts().filter((text) => !/^[0-9a-f]{96} /.test(text));
const manyWords = texts.reduce((longest, text) => (text.length > longest.length ? text : longest));

const neverHere = async (): Promise<ChunkVectors[]> => {
  throw new Error('computed in the main thread');
};

describe('LexicalThread: the offline embedder and the chunk features on a worker thread', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('gives, to the bit, the vectors and features of this thread, for jobs sent together and after each other', async () => {
    const thread = new LexicalThread(neverHere);
    try {
      expect(await thread.start()).toBe(true);
      const unknownWords: ChunkJob = { dimension: 256, title: 'qzxv', texts: ['qzxv\nvbnq 42x', 'qzxv\nvacation'], features: true };
      const jobs = [jobOf(texts), jobOf(texts.slice(0, 5), 512), jobOf(texts.slice(3, 9), 256, false), unknownWords];
      // together (answered in order, each to its own job), then again after the worker's caches are warm
      const together = await Promise.all(jobs.map((job) => thread.vectors(job)));
      const after = await thread.vectors(jobs[1]);
      for (const [i, job] of jobs.entries()) expect(asBytes(together[i])).toEqual(asBytes(await inThisThread(job)));
      expect(asBytes(after)).toEqual(asBytes(together[1]));
      expect(together[2].every((chunk) => chunk.features === undefined && chunk.sentence === undefined)).toBe(true);
      // a chunk without a word that has a word vector has no sentence vector, as in this thread
      expect(together[3].map((chunk) => chunk.sentence === undefined)).toEqual([true, false]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      await thread.close();
    }
  });

  it('computes the jobs that come while the worker starts in this thread (none waits for it), the later ones there', async () => {
    const here = jest.fn(inThisThread);
    const thread = new LexicalThread(here);
    try {
      const first = jobOf(['the first text']);
      expect(asBytes(await thread.vectors(first))).toEqual(asBytes(await inThisThread(first)));
      expect(here).toHaveBeenCalledTimes(1);
      await thread.start();
      const later = jobOf(['a later text']);
      expect(asBytes(await thread.vectors(later))).toEqual(asBytes(await inThisThread(later)));
      expect(here).toHaveBeenCalledTimes(1);
    } finally {
      await thread.close();
    }
  });

  it('hands a job the worker cannot compute to this thread, and keeps the worker for the next ones', async () => {
    const here = jest.fn(async (): Promise<ChunkVectors[]> => []);
    const thread = new LexicalThread(here);
    try {
      await thread.start();
      const bad = jobOf(['some text'], 10); // the embedder refuses a dimension under 64
      expect(await thread.vectors(bad)).toEqual([]);
      expect(here).toHaveBeenCalledWith(bad);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not compute a job'), { reason: expect.stringContaining('64') });
      const good = jobOf(['some other text']);
      expect(asBytes(await thread.vectors(good))).toEqual(asBytes(await inThisThread(good)));
      expect(here).toHaveBeenCalledTimes(1);
    } finally {
      await thread.close();
    }
  });

  it('closed while a job waits: computes that job in this thread; a later job starts another worker', async () => {
    const here = jest.fn(inThisThread);
    const thread = new LexicalThread(here);
    try {
      await thread.start();
      const job = jobOf([manyWords]); // a second of work: the worker is ended before it answers
      const waiting = thread.vectors(job);
      await thread.close();
      expect(here).toHaveBeenCalledWith(job);
      expect(await waiting).toBe(await here.mock.results[0].value);
      expect(await thread.start()).toBe(true);
      const later = jobOf(['after the close']);
      expect(asBytes(await thread.vectors(later))).toEqual(asBytes(await inThisThread(later)));
      expect(here).toHaveBeenCalledTimes(1);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      await thread.close();
    }
  });

  describe('a worker that fails', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'lexical-thread-'));
      // takes jobs, then ends on the first
      writeFileSync(
        join(dir, 'exits.js'),
        "const { parentPort } = require('node:worker_threads');\nparentPort.on('message', () => process.exit(3));\nparentPort.postMessage({ ready: true });\n",
      );
      writeFileSync(join(dir, 'throws.js'), "throw new Error('cannot load');\n");
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each([
      ['exits.js', true],
      ['throws.js', false],
    ])('(%s) loses no job: the jobs it had and the later ones are computed in this thread (logged)', async (script, started) => {
      const here = jest.fn(inThisThread);
      const thread = new LexicalThread(here, join(dir, script));
      expect(await thread.start()).toBe(started);
      const jobs = [jobOf(['first text']), jobOf(['second text'])];
      const answers = await Promise.all(jobs.map((job) => thread.vectors(job)));
      for (const [i, job] of jobs.entries()) expect(asBytes(answers[i])).toEqual(asBytes(await inThisThread(job)));
      const later = jobOf(['a later text']);
      expect(asBytes(await thread.vectors(later))).toEqual(asBytes(await inThisThread(later)));
      expect(here).toHaveBeenCalledTimes(3);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('main thread from now on'), expect.anything());
      expect(await thread.start()).toBe(false);
    });
  });
});
