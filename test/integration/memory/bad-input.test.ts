import { call, startTestApi, type TestApi } from '../../support/api';

/** Hostile and careless input: a per-operation error or a 400 naming the field, never a 5xx, never a partial write. */

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const memoryKey = async (options: { tenant?: string; agent?: string } = {}) => (await api.key({ ...options, surfaces: ['memory'] })).key;
const at = '2024-01-15T10:00:00Z';
const good = { table: 'notes', record_id: 'good', operation: 'upsert', data: { text: 'kept' }, local_updated_at: at };

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { deeper: value };
  return value;
}

async function livePairs(key: string, agent: string): Promise<[string, unknown][]> {
  const res = await call(api.url, 'POST', '/sync/pull', { key, body: { agent_id: agent, full: true, limit: 5000 } });
  expect(res.status).toBe(200);
  return res.body.data.operations.map((o: any) => [o.record_id, o.data]);
}

describe('push: per-operation errors', () => {
  it('measures record_id in UTF-8 bytes and refuses lone surrogates, failing only that operation', async () => {
    const key = await memoryKey();
    const multibyte = 'é'.repeat(600); // 600 characters, 1,200 bytes: more than a DynamoDB sort key holds
    const res = await call(api.url, 'POST', '/sync/push', {
      key,
      body: {
        agent_id: 'a',
        operations: [
          { ...good, record_id: multibyte },
          { ...good, record_id: 'half \ud83d pair' },
          { ...good, record_id: 'ü'.repeat(500) }, // 1,000 bytes: the limit itself
          good,
        ],
      },
    });
    expect(res.status).toBe(200);
    const results = res.body.data.results;
    expect(results.map((r: any) => r.status)).toEqual(['error', 'error', 'synced', 'synced']);
    expect(results[0].error).toMatch(/record_id: 1200 bytes in UTF-8; the limit is 1000 bytes/);
    expect(results[1].error).toMatch(/record_id: must be valid Unicode/);
    expect((await livePairs(key, 'a')).map(([id]) => id).sort()).toEqual(['good', 'ü'.repeat(500)]);
  });

  it('refuses data nested deeper than DynamoDB documents go, up to 10,000 levels, naming the field', async () => {
    const key = await memoryKey();
    const deep = [40, 10_000].map(
      (levels) =>
        `{"table":"notes","record_id":"deep${levels}","operation":"upsert","data":{"outer":${deepText(levels)}},"local_updated_at":"${at}"}`,
    );
    const okDepth = { ...good, record_id: 'deep30', data: nested(30) as Record<string, unknown> };
    const body = `{"agent_id":"a","operations":[${deep.join(',')},${JSON.stringify(okDepth)},${JSON.stringify(good)}]}`;
    const res = await call(api.url, 'POST', '/sync/push', { key, body });
    expect(res.status).toBe(200);
    const results = res.body.data.results;
    expect(results.map((r: any) => r.status)).toEqual(['error', 'error', 'synced', 'synced']);
    expect(results[0].error).toMatch(/^data\.outer\.deeper\.deeper\.deeper\.…: nested deeper than 32 levels$/);
    expect(results[1].error).toMatch(/nested deeper than 32 levels/);
    const live = new Map(await livePairs(key, 'a'));
    expect([...live.keys()].sort()).toEqual(['deep30', 'good']);
    expect(live.get('deep30')).toEqual(okDepth.data);
  });

  it('refuses numbers no store can keep and keeps any JSON version exactly', async () => {
    const key = await memoryKey();
    const body = `{"agent_id":"a","operations":[
      {"table":"notes","record_id":"huge","operation":"upsert","data":{"score":1e400},"local_updated_at":"${at}"},
      {"table":"notes","record_id":"hugever","operation":"upsert","data":{},"version":-1e999,"local_updated_at":"${at}"},
      {"table":"notes","record_id":"tiny","operation":"upsert","data":{"score":1e-200},"version":1e-200,"local_updated_at":"${at}"},
      {"table":"notes","record_id":"bigint","operation":"upsert","data":{"n":123},"version":9007199254740993123,"local_updated_at":"${at}"},
      {"table":"notes","record_id":"deepver","operation":"upsert","data":{},"version":${JSON.stringify(nested(40))},"local_updated_at":"${at}"},
      {"table":"notes","record_id":"objver","operation":"upsert","data":{},"version":{"vector":[1,2,{"clock":3}]},"local_updated_at":"${at}"}
    ]}`;
    const res = await call(api.url, 'POST', '/sync/push', { key, body });
    expect(res.status).toBe(200);
    const results = res.body.data.results;
    expect(results.map((r: any) => r.status)).toEqual(['error', 'error', 'synced', 'synced', 'error', 'synced']);
    expect(results[0].error).toBe('data.score: number out of range');
    expect(results[1].error).toBe('version: number out of range');
    expect(results[4].error).toMatch(/^version\.deeper.*nested deeper than 32 levels$/);

    const pulled = await call(api.url, 'POST', '/sync/pull', { key, body: { agent_id: 'a' } });
    const byId = new Map(pulled.body.data.operations.map((o: any) => [o.record_id, o]));
    expect((byId.get('tiny') as any).version).toBe(1e-200);
    expect((byId.get('tiny') as any).data).toEqual({ score: 1e-200 });
    // biome-ignore lint/correctness/noPrecisionLoss: a number beyond 2^53 is the input under test; the server keeps what JSON.parse reads
    expect((byId.get('bigint') as any).version).toBe(9007199254740993123);
    expect((byId.get('objver') as any).version).toEqual({ vector: [1, 2, { clock: 3 }] });
  });
});

describe('pull: cursors and since', () => {
  it('answers 400 with the reason for cursors it did not return, of another agent or tenant, or of another request shape', async () => {
    const tenant = (await api.key()).tenant;
    const key = await memoryKey({ tenant });
    const push = (agent: string) =>
      call(api.url, 'POST', '/sync/push', { key, body: { agent_id: agent, operations: [good, { ...good, record_id: 'two' }] } });
    await push('a');
    await push('b');
    const pull = (body: Record<string, unknown>) => call(api.url, 'POST', '/sync/pull', { key, body });
    const fullCursorA = (await pull({ agent_id: 'a', full: true, limit: 1 })).body.data.cursor;
    const incrementalCursorA = (await pull({ agent_id: 'a', limit: 1 })).body.data.cursor;
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const cases: [Record<string, unknown>, RegExp][] = [
      [{ agent_id: 'a', cursor: 'garbage!' }, /not a cursor this API returned/],
      [{ agent_id: 'a', cursor: forged({ f: 'C#000000000000001', w: 1 }), full: true }, /not a cursor this API returned/],
      [{ agent_id: 'a', cursor: forged({ f: 'X#elsewhere', w: 1 }), full: true }, /not a cursor this API returned/],
      [{ agent_id: 'a', cursor: forged({ s: -4 }) }, /not a cursor this API returned/],
      [{ agent_id: 'a', cursor: forged(['s', 1]) }, /not a cursor this API returned/],
      [{ agent_id: 'b', cursor: fullCursorA, full: true }, /belongs to another agent/],
      [{ agent_id: 'b', cursor: incrementalCursorA }, /belongs to another agent/],
      [{ agent_id: 'a', cursor: fullCursorA }, /needs full: true/],
      [{ agent_id: 'a', cursor: incrementalCursorA, full: true }, /without full/],
      [{ agent_id: 'a', since: 'last tuesday' }, /since: not an ISO 8601 timestamp/],
    ];
    for (const [body, reason] of cases) {
      const res = await pull(body);
      expect([res.status, res.body.error?.message]).toEqual([400, expect.stringMatching(reason)]);
    }
    // another tenant's key with the same agent name
    const stranger = await memoryKey();
    const res = await call(api.url, 'POST', '/sync/pull', { key: stranger, body: { agent_id: 'a', cursor: incrementalCursorA } });
    expect(res.status).toBe(400);
    // a valid cursor still works after all that
    expect((await pull({ agent_id: 'a', cursor: incrementalCursorA })).body.data.operations.map((o: any) => o.record_id)).toEqual(['two']);
  });

  it('treats since: null and cursor: null as absent', async () => {
    const key = await memoryKey();
    await call(api.url, 'POST', '/sync/push', { key, body: { stack_id: 's', operations: [{ ...good, operation: 'update' }] } });
    const res = await call(api.url, 'POST', '/sync/pull', { key, body: { stack_id: 's', since: null, cursor: null, device_id: null } });
    expect(res.status).toBe(200);
    expect(res.body.operations.map((o: any) => o.record_id)).toEqual(['good']);
  });
});

/** `{"deeper":{"deeper":…"bottom"…}}`, written as text: JSON.stringify itself overflows the stack on 10,000 levels. */
const deepText = (levels: number): string => `${'{"deeper":'.repeat(levels)}"bottom"${'}'.repeat(levels)}`;
