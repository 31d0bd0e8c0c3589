import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalVectorIndex } from '../../../lambdas/adapters/local-vector-index';
import { normalise } from '../../../lambdas/adapters/embedder';

const v = (...values: number[]) => normalise(values);
const base = { tenant: 't1', scope: 'agent', scopeId: 'a1' };
const query = (vector: Float32Array, extra: Partial<{ limit: number; minScore: number; now: number; scope: string; scopeId: string; tenant: string }> = {}) => ({
  ...base, vector, limit: 10, minScore: 0, now: 1000, ...extra,
});

describe('local vector index', () => {
  it('scores (1 + cosine) / 2, one hit per item (best chunk), sorted by score then path', async () => {
    const index = new LocalVectorIndex();
    await index.putItem({ ...base, itemId: 'i1', path: '/b' }, [{ content: 'b-far', vector: v(0, 1, 0) }, { content: 'b-near', vector: v(1, 0, 0) }]);
    await index.putItem({ ...base, itemId: 'i2', path: '/a' }, [{ content: 'a-near', vector: v(1, 0, 0) }]);
    await index.putItem({ ...base, itemId: 'i3', path: '/c' }, [{ content: 'c-opposite', vector: v(-1, 0, 0) }]);
    const hits = await index.search(query(v(1, 0, 0)));
    expect(hits).toEqual([
      { itemId: 'i2', path: '/a', content: 'a-near', score: 1 },
      { itemId: 'i1', path: '/b', content: 'b-near', score: 1 },
      { itemId: 'i3', path: '/c', content: 'c-opposite', score: 0 },
    ]);
    expect((await index.search(query(v(1, 1, 0), { minScore: 0.8 }))).map((h) => [h.path, h.score.toFixed(4)])).toEqual([
      ['/a', '0.8536'],
      ['/b', '0.8536'],
    ]);
    expect(await index.search(query(v(1, 0, 0), { limit: 1 }))).toHaveLength(1);
  });

  it('keeps partitions apart and leaves out expired items', async () => {
    const index = new LocalVectorIndex();
    await index.putItem({ ...base, itemId: 'i1', path: '/x', expiresAt: 2000 }, [{ content: 'x', vector: v(1, 0) }]);
    await index.putItem({ ...base, scopeId: 'a2', itemId: 'i2', path: '/y' }, [{ content: 'y', vector: v(1, 0) }]);
    await index.putItem({ ...base, tenant: 't2', itemId: 'i3', path: '/z' }, [{ content: 'z', vector: v(1, 0) }]);
    expect((await index.search(query(v(1, 0)))).map((h) => h.path)).toEqual(['/x']);
    expect((await index.search(query(v(1, 0), { now: 2000 })))).toEqual([]);
    expect((await index.search(query(v(1, 0), { scopeId: 'a2' }))).map((h) => h.path)).toEqual(['/y']);
    expect((await index.search(query(v(1, 0), { tenant: 't2' }))).map((h) => h.path)).toEqual(['/z']);
    expect(await index.search(query(v(1, 0), { scope: 'session' }))).toEqual([]);
  });

  it('deletes and moves items, also across partitions, keeping other rows intact', async () => {
    const index = new LocalVectorIndex();
    for (let i = 0; i < 40; i++) await index.putItem({ ...base, itemId: `i${i}`, path: `/p${i}` }, [{ content: `c${i}`, vector: v(1, i) }, { content: `d${i}`, vector: v(i, 1) }]);
    for (let i = 0; i < 40; i += 3) await index.deleteItem(`i${i}`);
    await index.moveItem('i1', { scope: 'company', scopeId: '-', path: '/moved' });
    await index.moveItem('i2', { scope: 'agent', scopeId: 'a1', path: '/renamed', expiresAt: 5000 });
    const all = await index.search(query(v(1, 1), { limit: 50 }));
    const paths = all.map((h) => h.path);
    expect(paths).toHaveLength(40 - 14 - 1);
    expect(paths).toContain('/renamed');
    expect(paths).not.toContain('/p0');
    expect(paths).not.toContain('/p1');
    // each remaining item still finds its own chunks (rows were swapped correctly)
    const p4 = await index.search(query(v(1, 4), { limit: 50 }));
    expect(p4[0]).toMatchObject({ path: '/p4', content: 'c4' });
    expect((await index.search(query(v(1, 1), { scope: 'company', scopeId: '-' }))).map((h) => h.path)).toEqual(['/moved']);
    expect(index.chunkCount).toBe((40 - 14) * 2);
  });

  it('persists to its journal and replays it on open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'satchel-index-'));
    const first = new LocalVectorIndex(dir).open();
    await first.putItem({ ...base, itemId: 'i1', path: '/keep', expiresAt: 9999 }, [{ content: 'keep', vector: v(1, 0, 0) }]);
    await first.putItem({ ...base, itemId: 'i2', path: '/drop' }, [{ content: 'drop', vector: v(1, 0, 0) }]);
    await first.putItem({ ...base, itemId: 'i3', path: '/move' }, [{ content: 'move', vector: v(0, 1, 0) }]);
    await first.deleteItem('i2');
    await first.moveItem('i3', { scope: 'session', scopeId: 's1', path: '/moved' });
    first.close();
    const second = new LocalVectorIndex(dir).open();
    expect(await second.search(query(v(1, 0, 0)))).toEqual([{ itemId: 'i1', path: '/keep', content: 'keep', score: 1 }]);
    expect((await second.search(query(v(0, 1, 0), { scope: 'session', scopeId: 's1' }))).map((h) => h.path)).toEqual(['/moved']);
    expect(second.chunkCount).toBe(2);
    second.close();
  });

  it('refuses vectors of another dimension with a clear message', async () => {
    const index = new LocalVectorIndex();
    await index.putItem({ ...base, itemId: 'i1', path: '/a' }, [{ content: 'a', vector: v(1, 0) }]);
    await expect(index.putItem({ ...base, itemId: 'i2', path: '/b' }, [{ content: 'b', vector: v(1, 0, 0) }])).rejects.toThrow(/2-dimensional vectors but got 3/);
  });
});
