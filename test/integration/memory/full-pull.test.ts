import { call, startTestApi, type TestApi } from '../../support/api';

/**
 * Writes during a full pull (docs/memory.md, Pull): a client that pages `full: true` with each cursor
 * sees every record once, and the last page's cursor, sent without `full`, brings every change made
 * while it paged. Applying the snapshot and then those changes gives exactly the server's state.
 * Writes happen between pages, in a fixed order: the interleaving is the same on every run.
 */
let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

type Pulled = { table: string; record_id: string; operation: 'upsert' | 'delete'; data: Record<string, unknown> | null };
const upsert = (record_id: string, at: string, text: string) => ({
  table: 'notes',
  record_id,
  operation: 'upsert',
  data: { text },
  local_updated_at: at,
});
const remove = (record_id: string, at: string) => ({ table: 'notes', record_id, operation: 'delete', local_updated_at: at });
const id = (op: { table: string; record_id: string }) => `${op.table}/${op.record_id}`;

async function session() {
  const { key } = await api.key({ surfaces: ['memory'] });
  const push = async (operations: unknown[]) => {
    const res = await call(api.url, 'POST', '/sync/push', { key, body: { agent_id: 'claire', operations } });
    expect(res.status).toBe(200);
    expect(res.body.data.failed ?? 0).toBe(0);
  };
  const pull = async (body: Record<string, unknown>) => {
    const res = await call(api.url, 'POST', '/sync/pull', { key, body: { agent_id: 'claire', ...body } });
    expect(res.status).toBe(200);
    return res.body.data as { operations: Pulled[]; cursor: string; has_more: boolean; full_resync: boolean };
  };
  /** What a client holds after a whole full pull: record -> data. */
  const fullState = async () => {
    const state = new Map<string, unknown>();
    let cursor: string | undefined;
    for (;;) {
      const page = await pull({ full: true, limit: 50, cursor });
      for (const op of page.operations) state.set(id(op), op.data);
      if (!page.has_more) return state;
      cursor = page.cursor;
    }
  };
  return { push, pull, fullState };
}

it('a full pull with writes between its pages, continued incrementally, ends at the server state', async () => {
  const s = await session();
  const ids = Array.from({ length: 10 }, (_, i) => `r${i}`);
  await s.push(ids.map((r) => upsert(r, '2024-03-01T10:00:00Z', `first ${r}`)));

  const held = new Map<string, unknown>();
  const counts = new Map<string, number>();
  let page = await s.pull({ full: true, limit: 3 });
  const writes = [
    // after the first page: change one already sent and one still to come, delete one to come, add one
    () =>
      s.push([
        upsert('r1', '2024-03-01T11:00:00Z', 'second r1'),
        upsert('r7', '2024-03-01T11:00:00Z', 'second r7'),
        remove('r8', '2024-03-01T11:00:00Z'),
        upsert('r10', '2024-03-01T11:00:00Z', 'new r10'),
      ]),
    // after the second: delete one already sent, bring a deleted one back, change one twice
    () =>
      s.push([
        remove('r0', '2024-03-01T12:00:00Z'),
        upsert('r8', '2024-03-01T12:00:00Z', 'back r8'),
        upsert('r9', '2024-03-01T12:00:00Z', 'second r9'),
      ]),
    () => s.push([upsert('r9', '2024-03-01T13:00:00Z', 'third r9'), upsert('a-first-in-key-order', '2024-03-01T13:00:00Z', 'new a')]),
  ];
  for (let n = 0; ; n++) {
    expect(page.full_resync).toBe(false);
    for (const op of page.operations) {
      expect(op.operation).toBe('upsert'); // a snapshot holds live records only
      held.set(id(op), op.data);
      counts.set(id(op), (counts.get(id(op)) ?? 0) + 1);
    }
    if (!page.has_more) break;
    await writes[n]?.();
    page = await s.pull({ full: true, limit: 3, cursor: page.cursor });
  }
  // every record of the snapshot once
  expect([...counts.values()].every((count) => count === 1)).toBe(true);
  // each record that existed throughout is in it (in some state)
  for (const r of ['r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r9']) expect(held.has(`notes/${r}`)).toBe(true);

  // the last cursor without `full`: every change made meanwhile, applied in order
  let cursor = page.cursor;
  for (;;) {
    const changes = await s.pull({ cursor, limit: 4 });
    expect(changes.full_resync).toBe(false);
    for (const op of changes.operations) {
      if (op.operation === 'delete') held.delete(id(op));
      else held.set(id(op), op.data);
    }
    cursor = changes.cursor;
    if (!changes.has_more) break;
  }

  const server = await s.fullState();
  expect(new Map([...held].map(([k, v]) => [k, (v as { text: string }).text]))).toEqual(
    new Map([...server].map(([k, v]) => [k, (v as { text: string }).text])),
  );
  expect(server.get('notes/r1')).toMatchObject({ text: 'second r1' });
  expect(server.get('notes/r9')).toMatchObject({ text: 'third r9' });
  expect(server.get('notes/r8')).toMatchObject({ text: 'back r8' });
  expect(server.has('notes/r0')).toBe(false);
  expect(server.size).toBe(11);

  // and nothing more arrives afterwards
  expect((await s.pull({ cursor })).operations).toEqual([]);
});
