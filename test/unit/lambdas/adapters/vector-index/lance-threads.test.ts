import { lanceThreadSettings } from '../../../../../lambdas/adapters/vector-index/lance-threads';

describe("LanceDB's CPU pool and full-text writers", () => {
  it('leaves a pool thread free of full-text writers on every machine size (LanceDB defaults: cores - 2 threads, one writer each)', () => {
    expect(lanceThreadSettings({}, 1)).toEqual({ LANCE_CPU_THREADS: '2', LANCE_FTS_NUM_SHARDS: '1' });
    expect(lanceThreadSettings({}, 2)).toEqual({ LANCE_CPU_THREADS: '2', LANCE_FTS_NUM_SHARDS: '1' });
    expect(lanceThreadSettings({}, 4)).toEqual({ LANCE_CPU_THREADS: '2', LANCE_FTS_NUM_SHARDS: '1' });
    expect(lanceThreadSettings({}, 16)).toEqual({ LANCE_CPU_THREADS: '14', LANCE_FTS_NUM_SHARDS: '13' });
  });

  it("keeps the user's values when they cannot hang, and corrects those that can", () => {
    expect(lanceThreadSettings({ LANCE_CPU_THREADS: '6', LANCE_FTS_NUM_SHARDS: '2' }, 2)).toEqual({
      LANCE_CPU_THREADS: '6',
      LANCE_FTS_NUM_SHARDS: '2',
    });
    expect(lanceThreadSettings({ LANCE_CPU_THREADS: '1' }, 8)).toEqual({ LANCE_CPU_THREADS: '2', LANCE_FTS_NUM_SHARDS: '1' });
    expect(lanceThreadSettings({ LANCE_CPU_THREADS: '4', LANCE_FTS_NUM_SHARDS: '4' }, 8)).toEqual({
      LANCE_CPU_THREADS: '4',
      LANCE_FTS_NUM_SHARDS: '3',
    });
    expect(lanceThreadSettings({ LANCE_CPU_THREADS: 'many', LANCE_FTS_NUM_SHARDS: '0' }, 8)).toEqual({
      LANCE_CPU_THREADS: '6',
      LANCE_FTS_NUM_SHARDS: '5',
    });
  });
});
