import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalise } from '../../../../../lambdas/adapters/embedder/port';
import { connect, Index, type IndexConfig } from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import { FOLD_AT_ONCE_ROWS, LocalVectorIndex, quietLeft, VECTOR_INDEX_MIN_ROWS } from '../../../../../lambdas/adapters/vector-index/local';
import type { SearchQuery } from '../../../../../lambdas/adapters/vector-index/port';
import { ROOT } from '../../../../support/cli';

const v = (...values: number[]) => normalise(values);
const base = { tenant: 't1', scope: 'agent', scopeId: 'a1' };
const query = (vector: Float32Array, extra: Partial<SearchQuery> = {}): SearchQuery => ({
  ...base,
  text: 'zzz',
  vector,
  candidates: 50,
  now: 1000,
  ...extra,
});
const paths = (candidates: { path: string }[]) => [...new Set(candidates.map((c) => c.path))].sort();

/**
 * Enough rows in one partition ('filler <n>', vector unit(n)) for a vector index, one row ('tiny note')
 * of another tenant, then maintenance: the vector index is built.
 */
async function fillForAnIndex(index: LocalVectorIndex, unit: (seed: number) => Float32Array): Promise<void> {
  for (let i = 0; i < VECTOR_INDEX_MIN_ROWS; i += 500) {
    await index.putItem(
      { ...base, itemId: `big${i}`, path: `/big${i}` },
      Array.from({ length: 500 }, (_, j) => ({ content: `filler ${i + j}`, vector: unit(i + j) })),
    );
  }
  await index.putItem({ ...base, tenant: 'small', itemId: 's1', path: '/small' }, [{ content: 'tiny note', vector: unit(3) }]);
  await index.maintain();
}

describe('local search index (LanceDB)', () => {
  const dirs: string[] = [];
  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'satchel-index-'));
    dirs.push(dir);
    return { dir, index: await LocalVectorIndex.open(dir) };
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('returns the nearest chunks with their cosine and the BM25 matches with theirs, both signals where both halves found a chunk', async () => {
    const { index } = await open();
    await index.putItem({ ...base, itemId: 'i1', path: '/auth.md' }, [
      { content: 'Rotate the database password every quarter', vector: v(0, 1, 0) },
      { content: 'Users authenticate with a bearer token', vector: v(1, 0, 0) },
    ]);
    await index.putItem({ ...base, itemId: 'i2', path: '/cake.md' }, [{ content: 'Whisk eggs and flour', vector: v(0, 0, 1) }]);
    const found = await index.search(query(v(1, 0, 0), { text: 'how do users authenticate' }));
    const auth = found.find((c) => c.content.startsWith('Users'));
    expect(auth).toMatchObject({ itemId: 'i1', path: '/auth.md', cosine: expect.closeTo(1, 5), bm25: expect.any(Number) });
    expect(auth?.bm25).toBeGreaterThan(0);
    // found by the vector half only: no BM25
    expect(found.find((c) => c.path === '/cake.md')).toMatchObject({ cosine: expect.closeTo(0, 5), bm25: 0 });
    // found by words only (stemmed: authenticating ~ authenticate): the cosine is computed exactly
    const lexical = await index.search(query(v(0, 0, 1), { text: 'authenticating', candidates: 1 }));
    expect(lexical.find((c) => c.content.startsWith('Users'))).toMatchObject({ cosine: expect.closeTo(0, 5), bm25: expect.any(Number) });
    await index.close();
  });

  it('scores a new note by the words it repeats right after the write, as it will once settled (LanceDB scored them 0)', async () => {
    const note = { content: 'Users users authenticate with tokens; the tokens expire', vector: v(1, 0) };
    const bm25Of = async (index: LocalVectorIndex, text: string) =>
      (await index.search(query(v(0, 1), { text }))).find((c) => c.path === '/auth.md')?.bm25 ?? 0;
    // a one-note workspace; and a first note of its own next to another tenant's long one written in one go
    for (const before of [0, 150]) {
      const { index } = await open();
      if (before)
        await index.putItem(
          { ...base, tenant: 'other', itemId: 'big', path: '/big.md' },
          Array.from({ length: before }, (_, i) => ({ content: `lunch menu for day ${i}`, vector: v(0, 1) })),
        );
      await index.putItem({ ...base, itemId: 'i1', path: '/auth.md' }, [note]);
      // three searches at once: each waits for the one bringing the full-text index up to date
      const fresh = await Promise.all(['users', 'tokens', 'authenticate'].map((word) => bm25Of(index, word)));
      await index.maintain();
      const settled = await Promise.all(['users', 'tokens', 'authenticate'].map((word) => bm25Of(index, word)));
      for (const [i, score] of fresh.entries()) {
        expect(score).toBeGreaterThan(0);
        expect(score).toBeCloseTo(settled[i], 4);
      }
      await index.close();
    }
  });

  it('keeps tenants, scopes and scope ids apart, leaves expired items out, and is not fooled by quotes in values', async () => {
    const { index } = await open();
    await index.putItem({ ...base, itemId: 'i1', path: '/x', expiresAt: 2000 }, [{ content: 'alpha', vector: v(1, 0) }]);
    await index.putItem({ ...base, scopeId: 'a2', itemId: 'i2', path: '/y' }, [{ content: 'alpha', vector: v(1, 0) }]);
    await index.putItem({ ...base, tenant: 't2', itemId: 'i3', path: '/z' }, [{ content: 'alpha', vector: v(1, 0) }]);
    await index.putItem({ ...base, scopeId: "a1' OR '1'='1", itemId: 'i4', path: '/q' }, [{ content: 'alpha', vector: v(1, 0) }]);
    const text = 'alpha';
    expect(paths(await index.search(query(v(1, 0), { text })))).toEqual(['/x']);
    expect(await index.search(query(v(1, 0), { text, now: 2000 }))).toEqual([]);
    expect(paths(await index.search(query(v(1, 0), { text, scopeId: 'a2' })))).toEqual(['/y']);
    expect(paths(await index.search(query(v(1, 0), { text, tenant: 't2' })))).toEqual(['/z']);
    expect(paths(await index.search(query(v(1, 0), { text, scopeId: "a1' OR '1'='1" })))).toEqual(['/q']);
    expect(await index.search(query(v(1, 0), { text, scope: 'session' }))).toEqual([]);
    expect(await index.search(query(v(1, 0), { text, tenant: "t1' OR tenant = 't2" }))).toEqual([]);
    await index.close();
  });

  it('deletes and moves items across partitions (path, scope and expiry follow)', async () => {
    const { index } = await open();
    for (let i = 0; i < 5; i++)
      await index.putItem({ ...base, itemId: `i${i}`, path: `/p${i}` }, [{ content: `note ${i}`, vector: v(1, i) }]);
    await index.deleteItem('i0');
    await index.moveItem('i1', { scope: 'company', scopeId: '-', path: '/moved' });
    await index.moveItem('i2', { scope: 'agent', scopeId: 'a1', path: '/renamed', expiresAt: 1500 });
    expect(paths(await index.search(query(v(1, 1), { text: 'note' })))).toEqual(['/p3', '/p4', '/renamed']);
    expect(paths(await index.search(query(v(1, 1), { text: 'note', now: 1500 })))).toEqual(['/p3', '/p4']);
    expect(paths(await index.search(query(v(1, 1), { text: 'note', scope: 'company', scopeId: '-' })))).toEqual(['/moved']);
    await index.close();
  });

  it('persists under its folder: a new process (new instance) finds what the last one wrote, deleted and moved', async () => {
    const { dir, index: first } = await open();
    await first.putItem({ ...base, itemId: 'i1', path: '/keep', expiresAt: 9999 }, [{ content: 'keep me', vector: v(1, 0, 0) }]);
    await first.putItem({ ...base, itemId: 'i2', path: '/drop' }, [{ content: 'drop me', vector: v(1, 0, 0) }]);
    await first.putItem({ ...base, itemId: 'i3', path: '/move' }, [{ content: 'move me', vector: v(0, 1, 0) }]);
    await first.deleteItem('i2');
    await first.moveItem('i3', { scope: 'session', scopeId: 's1', path: '/moved' });
    await first.maintain();
    await first.close();
    const second = await LocalVectorIndex.open(dir);
    expect(paths(await second.search(query(v(1, 0, 0), { text: 'me' })))).toEqual(['/keep']);
    expect(paths(await second.search(query(v(0, 1, 0), { text: 'me', scope: 'session', scopeId: 's1' })))).toEqual(['/moved']);
    await second.close();
  });

  it('leaves expired items out whichever way their expiry came: written, moved, left by the last process, or after expired items were cleaned up', async () => {
    const { dir, index: first } = await open();
    await first.putItem({ ...base, itemId: 'i1', path: '/forever' }, [{ content: 'note', vector: v(1, 0) }]);
    expect(paths(await first.search(query(v(1, 0), { text: 'note', now: 1e12 })))).toEqual(['/forever']);
    await first.putItem({ ...base, itemId: 'i2', path: '/until-2000' }, [{ content: 'note', vector: v(1, 0) }]);
    await first.moveItem('i2', { ...base, path: '/until-2000', expiresAt: 2000 });
    await first.putItem({ ...base, itemId: 'i3', path: '/until-3000', expiresAt: 3000 }, [{ content: 'note', vector: v(1, 0) }]);
    expect(paths(await first.search(query(v(1, 0), { text: 'note', now: 1999 })))).toEqual(['/forever', '/until-2000', '/until-3000']);
    expect(paths(await first.search(query(v(1, 0), { text: 'note', now: 2000 })))).toEqual(['/forever', '/until-3000']);
    await first.close();
    // a new process reads the expiries its table holds
    const second = await LocalVectorIndex.open(dir);
    expect(paths(await second.search(query(v(1, 0), { text: 'note', now: 2500 })))).toEqual(['/forever', '/until-3000']);
    expect(paths(await second.search(query(v(1, 0), { text: 'note', now: 3000 })))).toEqual(['/forever']);
    // the expired items go (as the expiry sweep deletes them); what is left still expires on time
    await second.deleteItem('i2');
    await second.maintain();
    expect(paths(await second.search(query(v(1, 0), { text: 'note', now: 2500 })))).toEqual(['/forever', '/until-3000']);
    expect(paths(await second.search(query(v(1, 0), { text: 'note', now: 3000 })))).toEqual(['/forever']);
    await second.deleteItem('i3');
    await second.maintain();
    expect(paths(await second.search(query(v(1, 0), { text: 'note', now: 1e12 })))).toEqual(['/forever']);
    await second.close();
  });

  it('keeps what the ranking computed of a chunk beside it: handed back by both halves, after a move and a restart', async () => {
    const { dir, index: first } = await open();
    const features = (text: string) => new Uint8Array(Buffer.from(`features of ${text}`));
    await first.putItem({ ...base, itemId: 'i1', path: '/a.md' }, [
      { content: 'alpha beta', vector: v(1, 0), features: features('alpha beta') },
      { content: 'gamma', vector: v(0, 1) }, // none given: none handed back
    ]);
    const byContent = (candidates: { content: string; features?: Uint8Array }[]) =>
      Object.fromEntries(candidates.map((c) => [c.content, c.features && Buffer.from(c.features).toString()]));
    // the vector half (no word matches) and the full-text half (far vector) both carry it
    expect(byContent(await first.search(query(v(1, 0), { text: 'zzz' })))).toEqual({
      'alpha beta': 'features of alpha beta',
      gamma: undefined,
    });
    expect(byContent(await first.search(query(v(0, 1), { text: 'alpha', candidates: 1 })))).toMatchObject({
      'alpha beta': 'features of alpha beta',
    });
    await first.moveItem('i1', { scope: 'session', scopeId: 's1', path: '/b.md' });
    await first.maintain();
    await first.close();
    const second = await LocalVectorIndex.open(dir);
    const moved = await second.search(query(v(1, 0), { text: 'alpha', scope: 'session', scopeId: 's1' }));
    expect(byContent(moved)).toEqual({ 'alpha beta': 'features of alpha beta', gamma: undefined });
    await second.close();
  });

  it('hands every candidate its own row values when the answers span many fragments (rows read column by column)', async () => {
    const { index } = await open();
    const vectorOf = (item: number, chunk: number) => v(1 + item, chunk + 1, (item * 7 + chunk) % 5);
    const sentenceOf = (item: number, chunk: number) => v(chunk + 1, item + 1);
    for (let item = 0; item < 24; item++) {
      // one write per item: a fragment each
      await index.putItem(
        { ...base, itemId: `i${item}`, path: `/notes/${item}.md` },
        Array.from({ length: 5 }, (_, chunk) => ({
          content: `shared words item${item} chunk${chunk}`,
          vector: vectorOf(item, chunk),
          sentence: sentenceOf(item, chunk),
          features: chunk % 2 ? undefined : new Uint8Array(Buffer.from(`f ${item}.${chunk}`)),
        })),
      );
    }
    const asked = v(3, 1, 2);
    for (const extra of [{}, { sentence: v(1, 1) }]) {
      const found = await index.search(query(asked, { text: 'shared words', candidates: 120, ...extra }));
      expect(found.length).toBe(120);
      for (const candidate of found) {
        const [, item, chunk] = /item(\d+) chunk(\d+)/.exec(candidate.content)?.map(Number) ?? [];
        expect(candidate).toMatchObject({ itemId: `i${item}`, path: `/notes/${item}.md` });
        expect(candidate.features && Buffer.from(candidate.features).toString()).toBe(chunk % 2 ? undefined : `f ${item}.${chunk}`);
        const vector = vectorOf(item, chunk);
        expect(candidate.cosine).toBeCloseTo(
          asked.reduce((sum, x, i) => sum + x * vector[i], 0),
          5,
        );
        expect(candidate.bm25).toBeGreaterThan(0);
      }
    }
    await index.close();
  });

  it('opens a table made before the features column: its rows come back without, new rows with them', async () => {
    const { dir } = await open();
    // the table as the index made it before the column (with its full-text index)
    const db = await connect(dir);
    const utf8 = (name: string) => new Field(name, new Utf8(), false);
    const schema = new Schema([
      ...['item_id', 'tenant', 'scope', 'scope_id', 'path'].map(utf8),
      new Field('chunk', new Int32(), false),
      utf8('content'),
      new Field('expires_at', new Float64(), true),
      new Field('vector', new FixedSizeList(2, new Field('item', new Float32(), true)), false),
    ]);
    const table = await db.createEmptyTable('chunks_2', schema);
    await table.add([
      {
        item_id: 'old',
        tenant: 't1',
        scope: 'agent',
        scope_id: 'a1',
        path: '/old.md',
        chunk: 0,
        content: 'old note',
        expires_at: null,
        vector: [1, 0],
      },
    ]);
    await table.createIndex('content', { config: Index.fts({ stem: true, language: 'English', removeStopWords: true }) });
    db.close();
    const index = await LocalVectorIndex.open(dir);
    await index.putItem({ ...base, itemId: 'new', path: '/new.md' }, [
      { content: 'new note', vector: v(1, 0), features: new Uint8Array([1, 2, 3]) },
    ]);
    const found = await index.search(query(v(1, 0), { text: 'note' }));
    expect(found.map((c) => [c.path, c.features && [...c.features]]).sort()).toEqual([
      ['/new.md', [1, 2, 3]],
      ['/old.md', undefined],
    ]);
    await index.close();
  });

  it('finds the nearest chunks by their sentence vectors where chunks bring them, handing back the cosine of their own vectors, in the partition only', async () => {
    const { dir, index } = await open();
    // the embedder's vectors (hashed words) and the sentence vectors disagree: by vector /words.md is nearest, by sentence /meaning.md
    await index.putItem({ ...base, itemId: 'w', path: '/words.md' }, [{ content: 'alpha', vector: v(1, 0, 0), sentence: v(0, 1) }]);
    await index.putItem({ ...base, itemId: 'm', path: '/meaning.md' }, [{ content: 'beta', vector: v(1, 1, 0), sentence: v(1, 0.1) }]);
    await index.putItem({ ...base, tenant: 't2', itemId: 'x', path: '/other-tenant.md' }, [
      { content: 'gamma', vector: v(1, 0, 0), sentence: v(1, 0) },
    ]);
    await index.putItem({ ...base, scopeId: 'a2', itemId: 'y', path: '/other-agent.md' }, [
      { content: 'delta', vector: v(1, 0, 0), sentence: v(1, 0) },
    ]);
    await index.putItem({ ...base, itemId: 'e', path: '/expired.md', expiresAt: 999 }, [
      { content: 'eps', vector: v(1, 0, 0), sentence: v(1, 0) },
    ]);
    // a chunk none of whose words has a word vector: no sentence vector, still found by its words
    await index.putItem({ ...base, itemId: 'n', path: '/no-sentence.md' }, [{ content: 'qzxv', vector: v(0, 0, 1) }]);
    const bySentence = query(v(1, 0, 0), { sentence: v(1, 0), candidates: 1 });
    expect((await index.search(bySentence)).map((c) => [c.path, c.cosine])).toEqual([['/meaning.md', expect.closeTo(Math.SQRT1_2, 5)]]);
    expect(paths(await index.search({ ...bySentence, candidates: 10 }))).toEqual(['/meaning.md', '/words.md']);
    expect(paths(await index.search({ ...bySentence, text: 'qzxv' }))).toEqual(['/meaning.md', '/no-sentence.md']);
    // a query without one (its words have no word vectors; another embedder) is searched by its vector
    expect(paths(await index.search(query(v(1, 0, 0), { candidates: 1 })))).toEqual(['/words.md']);
    await index.close();
    // another process: once it has checked that every row has its sentence vector (nothing to compute), by them again
    const reopened = await LocalVectorIndex.open(dir);
    const sentenceOf = jest.fn(async (_chunk: { path: string }) => v(0, 1));
    await reopened.fillSentences({ vectors: 3, sentences: 2, sentenceOf });
    expect(sentenceOf.mock.calls.map(([chunk]) => chunk.path)).toEqual(['/no-sentence.md']);
    expect((await reopened.search(bySentence)).map((c) => c.path)).toEqual(['/meaning.md']);
    await reopened.close();
  });

  it('gives the rows of an index made before sentence vectors theirs (fillSentences), searching them by vector until then, and moves the vector index onto them', async () => {
    const { dir, index } = await open();
    const dims = 16;
    // pseudo-random: no two rows alike
    const unit = (seed: number, n = dims) =>
      normalise(Array.from({ length: n }, (_, i) => (Math.sin((seed + 1) * 12.9898 + (i + 1) * 78.233) * 43758.5453) % 1));
    // an index as the version before made it: no sentence vectors, its vector index on `vector`
    await fillForAnIndex(index, unit);
    await index.close();
    const indexed = async () =>
      (await (await connect(dir)).openTable(`chunks_${dims}`))
        .listIndices()
        .then((all) => all.filter((i) => i.indexType === 'IvfHnswSq').map((i) => i.columns[0]));
    expect(await indexed()).toEqual(['vector']);

    const upgraded = await LocalVectorIndex.open(dir);
    // a row's sentence vector: the one of the row `seed + 1000` away, so the nearest by sentence is another row than by vector
    const sentenceOf = async ({ content }: { content: string }) =>
      content.startsWith('filler') ? unit(Number(content.slice('filler '.length)) + 1000, 8) : undefined;
    const q = query(unit(7), { sentence: unit(1042, 8), candidates: 1 });
    expect((await upgraded.search(q)).map((c) => c.content)).toEqual(['filler 7']); // by vector, as before
    await upgraded.fillSentences({ vectors: dims, sentences: 8, sentenceOf });
    await upgraded.maintain();
    expect(await indexed()).toEqual(['sentence']);
    const nearest = await upgraded.search({ ...q, candidates: 5 });
    expect(nearest[0]).toMatchObject({
      content: 'filler 42',
      cosine: expect.closeTo(
        unit(7).reduce((s, x, i) => s + x * unit(42)[i], 0),
        5,
      ),
    });
    // the small tenant sees only its own row (it has no sentence vector: found by its words)
    expect(paths(await upgraded.search({ ...q, tenant: 'small' }))).toEqual([]);
    expect(paths(await upgraded.search({ ...q, tenant: 'small', text: 'tiny' }))).toEqual(['/small']);
    await upgraded.close();
  });

  it('keeps vectors of another dimension in their own table: a query finds the items of its dimension only', async () => {
    const { index } = await open();
    await index.putItem({ ...base, itemId: 'i1', path: '/two' }, [{ content: 'same words', vector: v(1, 0) }]);
    await index.putItem({ ...base, itemId: 'i2', path: '/three' }, [{ content: 'same words', vector: v(1, 0, 0) }]);
    expect(paths(await index.search(query(v(1, 0, 0), { text: 'same words' })))).toEqual(['/three']);
    expect(paths(await index.search(query(v(0, 0, 0, 1), { text: 'same words' })))).toEqual([]);
    await index.close();
  });

  it('queues maintenance asked for behind the background run, and close waits for every run', async () => {
    const { dir, index } = await open();
    // 50 writes wait to settle; two runs are asked for, then the index closes
    for (let i = 0; i < 50; i++)
      await index.putItem({ ...base, itemId: `i${i}`, path: `/p${i}` }, [{ content: `note ${i}`, vector: v(1, i) }]);
    const asked = [index.maintain(), index.maintain()];
    await index.close();
    await expect(Promise.all(asked)).resolves.toEqual([undefined, undefined]);
    const reopened = await LocalVectorIndex.open(dir);
    expect(paths(await reopened.search(query(v(1, 1), { text: 'note' })))).toHaveLength(50);
    await reopened.close();
  });

  it('loses no delete that runs while maintenance asked for compacts the table', async () => {
    const { dir, index } = await open();
    for (let i = 0; i < 30; i++)
      await index.putItem({ ...base, itemId: `i${i}`, path: `/p${i}` }, [{ content: `note ${i}`, vector: v(1, i) }]);
    await Promise.all([index.maintain(), ...Array.from({ length: 10 }, (_, i) => index.deleteItem(`i${i}`)), index.maintain()]);
    await index.close();
    const reopened = await LocalVectorIndex.open(dir);
    expect(paths(await reopened.search(query(v(1, 1), { text: 'note' })))).toEqual(
      Array.from({ length: 20 }, (_, i) => `/p${i + 10}`).sort(),
    );
    await reopened.close();
  });

  /** Polls the table's indexes until `done` holds (maintenance runs in the background). */
  async function indexesUntil(dir: string, dims: number, done: (indexes: IndexConfig[]) => boolean): Promise<IndexConfig[]> {
    const table = await (await connect(dir)).openTable(`chunks_${dims}`);
    for (;;) {
      await table.checkoutLatest();
      const indexes = await table.listIndices();
      if (done(indexes)) return indexes;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const unindexed = (indexes: IndexConfig[], column: string) => indexes.find((i) => i.columns[0] === column)?.numUnindexedRows;

  it('folds a load into the indexes once writes settle, building the vector index then without being asked', async () => {
    const { dir, index } = await open();
    const dims = 8;
    const unit = (seed: number) => normalise(Array.from({ length: dims }, (_, i) => Math.sin(seed * 3.7 + i)));
    for (let i = 0; i < VECTOR_INDEX_MIN_ROWS; i += 500) {
      await index.putItem(
        { ...base, itemId: `load${i}`, path: `/load${i}` },
        Array.from({ length: 500 }, (_, j) => ({ content: `loaded note ${i + j}`, vector: unit(i + j) })),
      );
    }
    const indexes = await indexesUntil(dir, dims, (all) => all.some((i) => i.indexType === 'IvfHnswSq'));
    expect(unindexed(indexes, 'content')).toBe(0);
    expect(indexes.filter((i) => i.indexType === 'Bitmap').map((i) => i.columns[0])).toEqual(
      expect.arrayContaining(['tenant', 'scope', 'scope_id']),
    );
    const nearest = await index.search(query(unit(7), { text: 'loaded', candidates: 3 }));
    expect(nearest.find((c) => c.content === 'loaded note 7')?.cosine).toBeCloseTo(1, 5);
    await index.close();
  });

  it('builds the vector index after a load once, last: on the compacted table, after the clean-up, every row in every index', async () => {
    const { dir, index } = await open();
    const dims = 8;
    const unit = (seed: number) => normalise(Array.from({ length: dims }, (_, i) => Math.cos(seed * 1.3 + i)));
    // past the rows a load is folded in at while it runs, then more: the fold's rows and the later ones are compacted apart first
    for (let i = 0; i < 6_000; i += 500) {
      await index.putItem(
        { ...base, itemId: `load${i}`, path: `/load${i}` },
        Array.from({ length: 500 }, (_, j) => ({ content: `bulk note ${i + j}`, vector: unit(i + j) })),
      );
    }
    expect(index.idle).toBe(false); // the maintenance of the load is due
    await index.settle();
    expect(index.idle).toBe(true);
    const table = await (await connect(dir)).openTable('chunks_8');
    const indexes = await table.listIndices();
    expect(indexes.find((i) => i.indexType === 'IvfHnswSq')?.name).toBe('vector_hnsw_sq_rows_6000');
    for (const each of indexes) expect(each.numUnindexedRows).toBe(0);
    expect((await table.stats()).fragmentStats.numFragments).toBe(1);
    // the clean-up left one version; the build came after it (an optimize after the build would have rewritten the new index)
    expect((await table.listVersions()).length).toBe(2);
    const nearest = await index.search(query(unit(4_321), { text: 'bulk', candidates: 3 }));
    expect(nearest.find((c) => c.content === 'bulk note 4321')?.cosine).toBeCloseTo(1, 5);
    await index.close();
  });

  it('merges the first write after a vector index build beside searches: the clean-up, which holds them, finds nothing to compact', async () => {
    const { dir, index } = await open();
    const unit = (seed: number) => normalise(Array.from({ length: 8 }, (_, i) => Math.cos(seed * 1.3 + i)));
    // an index of more than one partition: LanceDB merges the first rows after its build into it (one segment)
    for (let i = 0; i < 10_000; i += 500) {
      await index.putItem(
        { ...base, itemId: `load${i}`, path: `/load${i}` },
        Array.from({ length: 500 }, (_, j) => ({ content: `bulk note ${i + j}`, vector: unit(i + j) })),
      );
    }
    await index.settle(); // the load's folds and settled run: the vector index built, nothing due
    const table = await (await connect(dir)).openTable('chunks_8');
    expect((await table.listIndices()).some((i) => i.indexType === 'IvfHnswSq')).toBe(true);
    // every optimize of the run that follows one more write, and whether it ran alone (the clean-up: nothing older kept)
    const runs: { alone: boolean; removed: number }[] = [];
    const optimize = Object.getPrototypeOf(table).optimize;
    const spy = jest.spyOn(Object.getPrototypeOf(table), 'optimize').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      const stats = await optimize.apply(this, args);
      const olderThan = (args[0] as { cleanupOlderThan: Date }).cleanupOlderThan;
      runs.push({ alone: Date.now() - olderThan.getTime() < 60_000, removed: stats.compaction.fragmentsRemoved });
      return stats;
    });
    try {
      await index.putItem({ ...base, itemId: 'after', path: '/after' }, [{ content: 'written after the build', vector: unit(9_999) }]);
      await index.settle();
    } finally {
      spy.mockRestore();
    }
    expect(runs.filter((run) => !run.alone).some((run) => run.removed > 0)).toBe(true); // the merge, beside searches
    expect(runs.filter((run) => run.alone)).toEqual([{ alone: true, removed: 0 }]);
    await table.checkoutLatest();
    expect((await table.stats()).fragmentStats.numFragments).toBe(1);
    for (const each of await table.listIndices()) expect(each.numUnindexedRows).toBe(0);
    expect(paths(await index.search(query(unit(9_999), { text: 'build', candidates: 3 })))).toContain('/after');
    await index.close();
  });

  it('counts the quiet before maintenance from the last write: a run due after a fold that outlasted the load starts at its end', () => {
    expect(quietLeft(10_000, 10_000)).toBe(1_000); // just written: the whole second
    expect(quietLeft(10_000, 10_400)).toBe(600);
    expect(quietLeft(10_000, 12_500)).toBe(0); // the last write 2.5 s ago (a fold ran meanwhile): at once
  });

  it('leaves no unindexed tail behind a restart: rows written just before close are folded in by the next process', async () => {
    const { dir, index } = await open();
    // an index past the size whose writes are folded in at once
    await index.putItem(
      { ...base, scopeId: 'a2', itemId: 'early', path: '/early' },
      Array.from({ length: FOLD_AT_ONCE_ROWS }, (_, i) => ({ content: `an early note ${i}`, vector: v(2, 1) })),
    );
    await index.search(query(v(2, 1))); // a search folds them in while the index is small
    await index.putItem({ ...base, itemId: 'tail', path: '/tail' }, [{ content: 'written just before the restart', vector: v(1, 2) }]);
    await index.close(); // before the writes settled: the tail not folded in yet
    const table = await (await connect(dir)).openTable('chunks_2');
    expect(unindexed(await table.listIndices(), 'content')).toBe(1);
    const reopened = await LocalVectorIndex.open(dir);
    expect(paths(await reopened.search(query(v(1, 2), { text: 'restart' })))).toEqual(['/tail']);
    expect(unindexed(await indexesUntil(dir, 2, (all) => unindexed(all, 'content') === 0), 'content')).toBe(0);
    await reopened.close();
  });

  /**
   * LanceDB 0.31's full-text writer held every thread of its CPU pool (one on 2 cores) while its file
   * writer waited for that pool to encode a page: a large enough partition never finished (the
   * 100,000-chunk load hung at ~40,000 chunks in the optimize folding it in; a build over ~15,000
   * chunks of ~100 words hangs outright). Loading the index module sizes the pool (lance-threads.ts).
   * LanceDB reads the sizes from the real environment once per process, which jest's sandboxed
   * `process.env` never reaches: the build runs in a process of its own, as `npm start` would.
   */
  it('finishes a full-text index write too large for one page in a process that loaded the index (LanceDB hung on 2 cores)', () => {
    const { dir } = { dir: mkdtempSync(join(tmpdir(), 'satchel-index-')) };
    dirs.push(dir);
    const build = `
      require('./lambdas/adapters/vector-index/local.ts');
      const { connect, Index } = require('@lancedb/lancedb');
      let seed = 7;
      const word = () => 'w' + Math.floor(20000 * ((seed = (seed * 48271) % 2147483647) / 2147483647) ** 2);
      const rows = Array.from({ length: 20000 }, (_, i) => ({ id: i, content: Array.from({ length: 120 }, word).join(' ') }));
      rows[123].content += ' needle';
      (async () => {
        const table = await (await connect(${JSON.stringify(dir)})).createTable('many_words', rows);
        await table.createIndex('content', { config: Index.fts({ stem: true, language: 'English', removeStopWords: true }) });
        console.log(JSON.stringify((await table.query().fullTextSearch('needle').toArray()).map((row) => row.id)));
      })();`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LANCE_')));
    // a hang is what fails: the child is stopped after far longer than the build takes on a loaded machine
    const child = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', build], { cwd: ROOT, env, encoding: 'utf8', timeout: 150_000 });
    expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: null, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual([123]);
  }, 180_000);

  it('builds a vector index once the table is large enough and still filters by partition through it', async () => {
    const { dir, index } = await open();
    const dims = 16;
    const unit = (seed: number) => normalise(Array.from({ length: dims }, (_, i) => Math.sin(seed * 7.1 + i * 1.3)));
    await fillForAnIndex(index, unit);
    const table = await (await connect(dir)).openTable(`chunks_${dims}`);
    expect((await table.listIndices()).map((i) => i.indexType)).toContain('IvfHnswSq');
    // the nearest rows of the big partition come back with exact cosines; the small tenant sees only its own row
    const nearest = await index.search(query(unit(42), { candidates: 5 }));
    expect(nearest.map((c) => c.content)).toContain('filler 42');
    expect(nearest.find((c) => c.content === 'filler 42')?.cosine).toBeCloseTo(1, 5);
    expect(paths(await index.search(query(unit(42), { tenant: 'small' })))).toEqual(['/small']);
    await index.close();
  });
});
