import { call, startTestApi, type TestApi } from '../../support/api';
import { logItemCount } from '../../support/memory-log';

/** The change log keeps the latest change of every live record plus what is younger than the retention window. */

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());
afterEach(() => {
  delete process.env.SATCHEL_MEMORY_LOG_RETENTION_MS;
});

const stamp = (round: number) => new Date(Date.UTC(2024, 0, 15, 10, round)).toISOString();
const rewrite = (ids: string[], round: number) =>
  ids.map((id) => ({ table: 'notes', record_id: id, operation: 'upsert', data: { id, round }, local_updated_at: stamp(round) }));

/** A client that follows every cursor and applies what it gets; a full resync replaces its store. */
async function syncInto(key: string, agent: string, store: Map<string, unknown>, cursor: string | undefined) {
  let resynced = false;
  for (;;) {
    const res = await call(api.url, 'POST', '/sync/pull', { key, body: { agent_id: agent, cursor } });
    expect(res.status).toBe(200);
    const page = res.body.data;
    if (page.full_resync && !resynced) {
      store.clear();
      resynced = true;
    }
    for (const op of page.operations) {
      if (op.operation === 'delete') store.delete(op.record_id);
      else store.set(op.record_id, op.data);
    }
    cursor = page.cursor;
    if (!page.has_more) return { cursor, resynced };
  }
}

describe('change-log compaction', () => {
  it('keeps about one change per record after 10 rewrites of 1,000 records, and a pull from before converges', async () => {
    process.env.SATCHEL_MEMORY_LOG_RETENTION_MS = '0';
    const { key, tenant } = await api.key({ surfaces: ['memory'] });
    const ids = Array.from({ length: 1000 }, (_, i) => `n${i}`);
    const push = async (operations: unknown[]) => {
      const res = await call(api.url, 'POST', '/sync/push', { key, body: { agent_id: 'busy', operations } });
      expect(res.status).toBe(200);
      expect(res.body.data.failed).toBe(0);
    };

    await push(rewrite(ids, 0));
    const early = new Map<string, unknown>();
    const { cursor: earlyCursor } = await syncInto(key, 'busy', early, undefined);
    expect(early.size).toBe(1000);

    for (let round = 1; round <= 10; round++) await push(rewrite(ids, round));
    await push(ids.slice(0, 10).map((id) => ({ table: 'notes', record_id: id, operation: 'delete', local_updated_at: stamp(11) })));

    const size = await logItemCount(tenant, 'busy');
    expect(size).toBeGreaterThanOrEqual(990);
    expect(size).toBeLessThanOrEqual(1100);

    // the early device's cursor points into the compacted part: it gets a full snapshot, says so, and converges
    const { resynced } = await syncInto(key, 'busy', early, earlyCursor);
    expect(resynced).toBe(true);
    expect(early.size).toBe(990);
    expect(early.has('n0')).toBe(false);
    expect(early.get('n999')).toEqual({ id: 'n999', round: 10 });

    // so does a device that sends a since from before the compaction, and a new one
    const sinceRes = await call(api.url, 'POST', '/sync/pull', { key, body: { stack_id: 'busy', since: '2024-01-01T00:00:00Z' } });
    expect(sinceRes.body.full_resync).toBe(true);
    expect(sinceRes.body.operations).toHaveLength(990);
    const fresh = new Map<string, unknown>();
    await syncInto(key, 'busy', fresh, undefined);
    expect(fresh).toEqual(early);
  }, 300_000);

  it('keeps every change younger than the retention window', async () => {
    const { key, tenant } = await api.key({ surfaces: ['memory'] });
    const ids = ['a', 'b', 'c'];
    for (let round = 0; round < 3; round++) {
      await call(api.url, 'POST', '/sync/push', { key, body: { agent_id: 'calm', operations: rewrite(ids, round) } });
    }
    expect(await logItemCount(tenant, 'calm')).toBe(9);
    const pulled = await call(api.url, 'POST', '/sync/pull', { key, body: { agent_id: 'calm' } });
    expect(pulled.body.data).toMatchObject({ pulled: 9, full_resync: false });
  });
});
