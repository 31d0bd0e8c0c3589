import { allocateSequence, partitionKey, voidSequence } from '../../../lambdas/memory/service/store';
import { contentHash, timestampMicros } from '../../../lambdas/memory/service/records';
import { call, startTestApi, type TestApi } from '../../support/api';
import { random } from '../../support/generated';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const WRITERS = 8;
const BATCHES = 4;
const BATCH_SIZE = 20;
const RECORDS = 40;
/** Every writer draws its operations from its own generator seeded from this: rerun a failure with SATCHEL_CONCURRENCY_SEED=<seed>. */
const SEED = Number(process.env.SATCHEL_CONCURRENCY_SEED ?? Date.now() % 1_000_000);

interface SentOp {
  table: string;
  record_id: string;
  operation: 'upsert' | 'delete';
  data: Record<string, unknown> | null;
  local_updated_at: string;
}

/** Timestamps from a one-minute window at whole seconds: many writes collide on the same record and instant. */
function randomOp(rng: () => number, writer: number, n: number): SentOp {
  const record = Math.floor(rng() * RECORDS);
  const at = new Date(Date.UTC(2024, 0, 15, 10, 0, Math.floor(rng() * 60))).toISOString();
  const table = record % 2 ? 'notes' : 'beliefs';
  if (rng() < 0.15) return { table, record_id: `r${record}`, operation: 'delete', data: null, local_updated_at: at };
  return { table, record_id: `r${record}`, operation: 'upsert', data: { writer, n, local_updated_at: at }, local_updated_at: at };
}

const rank = (op: SentOp) => ({ ts: timestampMicros(op.local_updated_at)!, hash: contentHash(op.operation === 'delete', op.data) });
const beats = (a: SentOp, b: SentOp) => {
  const x = rank(a),
    y = rank(b);
  return x.ts > y.ts || (x.ts === y.ts && x.hash > y.hash);
};

async function pullPage(key: string, body: Record<string, unknown>) {
  const res = await call(api.url, 'POST', '/sync/pull', { key, body: { agent_id: 'shared', ...body } });
  expect(res.status).toBe(200);
  return res.body.data;
}

afterEach(() => {
  delete process.env.SATCHEL_MEMORY_GAP_GRACE_MS;
});

describe('memory sync under concurrency', () => {
  it(`converges on the per-record maximum and a concurrent puller sees every change exactly once (seed ${SEED})`, async () => {
    const { key } = await api.key({ surfaces: ['memory'] });
    const sent: SentOp[] = [];
    const committedSeqs: number[] = [];
    let writing = true;

    const writer = async (w: number) => {
      // one generator per writer: what each writer sends does not depend on how the writers interleave
      const rng = random(SEED * WRITERS + w);
      for (let b = 0; b < BATCHES; b++) {
        const ops = Array.from({ length: BATCH_SIZE }, (_, i) => randomOp(rng, w, b * BATCH_SIZE + i));
        sent.push(...ops);
        const res = await call(api.url, 'POST', '/sync/push', { key, body: { agent_id: 'shared', operations: ops } });
        expect(res.status).toBe(200);
        for (const r of res.body.data.results) {
          if (r.status === 'error') throw new Error(JSON.stringify(r));
          if (r.server_seq !== undefined) committedSeqs.push(r.server_seq);
        }
      }
    };

    const pulled: any[] = [];
    const PULL_LIMIT = 13;
    // once the writers are done, every change fits in this many pages, plus the one that finds nothing more
    const pagesAfterWriting = Math.ceil((WRITERS * BATCHES * BATCH_SIZE) / PULL_LIMIT) + 1;
    const puller = async () => {
      let cursor: string | undefined;
      let afterWriting = 0;
      for (;;) {
        const stillWriting = writing;
        if (!stillWriting && ++afterWriting > pagesAfterWriting) {
          throw new Error(
            `the puller still had more after ${pagesAfterWriting} pages once the writers were done (seed ${SEED}): ` +
              `${pulled.length} changes pulled, ${committedSeqs.length} committed`,
          );
        }
        const page = await pullPage(key, { cursor, limit: PULL_LIMIT, device_id: 'watcher' });
        pulled.push(...page.operations);
        cursor = page.cursor;
        // finish only with a pull that started after every writer had its answer and found nothing more
        if (!stillWriting && !page.has_more) return;
      }
    };

    const pulling = puller();
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    writing = false;
    await pulling;

    // no duplicate, no gap: the puller's union is exactly the set of changes the writers were told committed
    const seqs = pulled.map((c) => c.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect([...seqs].sort((a, b) => a - b)).toEqual([...committedSeqs].sort((a, b) => a - b));

    // final state = per-record maximum of everything sent
    const winners = new Map<string, SentOp>();
    for (const op of sent) {
      const id = `${op.table}/${op.record_id}`;
      const best = winners.get(id);
      if (!best || beats(op, best)) winners.set(id, op);
    }
    const expectedLive = [...winners.entries()]
      .filter(([, op]) => op.operation === 'upsert')
      .map(([id, op]) => [id, op.data])
      .sort();
    const live: [string, unknown][] = [];
    let cursor: string | undefined;
    const fullPages = Math.ceil(RECORDS / 7) + 1;
    for (let pages = 0; ; pages++) {
      if (pages === fullPages)
        throw new Error(`the full pull still had more after ${fullPages} pages of at most ${RECORDS} records (seed ${SEED})`);
      const page = await pullPage(key, { full: true, cursor, limit: 7 });
      live.push(...page.operations.map((c: any) => [`${c.table}/${c.record_id}`, c.data] as [string, unknown]));
      if (!page.has_more) break;
      cursor = page.cursor;
    }
    expect(live.sort()).toEqual(expectedLive);

    // per record, the log lists states in the order the record took them, so replaying it in order converges too
    const replayed = new Map<string, any>();
    for (const change of pulled) {
      const id = `${change.table}/${change.record_id}`;
      const before = replayed.get(id);
      if (before) expect(timestampMicros(change.local_updated_at)!).toBeGreaterThanOrEqual(timestampMicros(before.local_updated_at)!);
      replayed.set(id, change);
    }
    const replayedLive = [...replayed.entries()]
      .filter(([, c]) => c.operation === 'upsert')
      .map(([id, c]) => [id, c.data])
      .sort();
    expect(replayedLive).toEqual(expectedLive);
  }, 300_000);

  it('waits for a sequence number taken by a writer that has not committed, and voids it once it is old', async () => {
    const { key, tenant } = await api.key({ surfaces: ['memory'] });
    const pk = partitionKey(tenant, 'shared');
    await call(api.url, 'POST', '/sync/push', {
      key,
      body: {
        agent_id: 'shared',
        operations: [{ table: 'notes', record_id: 'a', operation: 'upsert', data: {}, local_updated_at: '2024-01-15T10:00:00Z' }],
      },
    });
    const stalled = await allocateSequence(pk, 1); // a writer took this number and has not committed (yet)
    const later = await call(api.url, 'POST', '/sync/push', {
      key,
      body: {
        agent_id: 'shared',
        operations: [{ table: 'notes', record_id: 'b', operation: 'upsert', data: {}, local_updated_at: '2024-01-15T10:00:00Z' }],
      },
    });
    expect(later.body.data.results[0].server_seq).toBe(stalled + 1);

    // while the gap is young (grace: 10 minutes here) the puller stops before it and says there is more
    process.env.SATCHEL_MEMORY_GAP_GRACE_MS = String(600_000);
    const blocked = await pullPage(key, {});
    expect(blocked.operations.map((c: any) => c.record_id)).toEqual(['a']);
    expect(blocked.has_more).toBe(true);

    // once the gap is older than the grace (0 here), the puller voids the number and moves on
    process.env.SATCHEL_MEMORY_GAP_GRACE_MS = '0';
    const passed = await pullPage(key, { cursor: blocked.cursor });
    expect(passed.operations.map((c: any) => c.record_id)).toEqual(['b']);
    expect(passed.has_more).toBe(false);
    // the stalled writer can no longer use its number: its conditional write on C#<seq> would fail
    expect(await voidSequence(pk, stalled)).toBe(false);
  });
});
