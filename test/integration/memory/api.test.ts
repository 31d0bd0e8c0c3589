import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { MEMORY_MAX_BODY_BYTES } from '../../../lambdas/contracts/memory';
import { markKey, partitionKey } from '../../../lambdas/memory/service/store';
import { createSatchelClient } from '../../../client/sdk';
import { call, startTestApi, type TestApi } from '../../support/api';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

type Op = {
  table: string;
  record_id: string;
  operation: string;
  data?: Record<string, unknown> | null;
  local_updated_at?: string;
  version?: number;
};

const upsert = (record_id: string, at: string, data: Record<string, unknown> = {}, table = 'notes'): Op => ({
  table,
  record_id,
  operation: 'upsert',
  data: { ...data, local_updated_at: at },
});
const remove = (record_id: string, at: string, table = 'notes'): Op => ({ table, record_id, operation: 'delete', local_updated_at: at });

async function memoryKey(options: { tenant?: string; agent?: string } = {}) {
  return (await api.key({ ...options, surfaces: ['memory'] })).key;
}
const push = (key: string, agent: string, operations: unknown[]) =>
  call(api.url, 'POST', '/sync/push', { key, body: { agent_id: agent, operations } });
const pull = (key: string, body: Record<string, unknown>) => call(api.url, 'POST', '/sync/pull', { key, body });

/** Every live record, through the paged full pull. */
async function liveRecords(key: string, agent: string): Promise<Map<string, any>> {
  const records = new Map<string, any>();
  let cursor: string | undefined;
  for (;;) {
    const res = await pull(key, { agent_id: agent, full: true, limit: 2, cursor });
    expect(res.status).toBe(200);
    for (const op of res.body.data.operations) records.set(`${op.table}/${op.record_id}`, op);
    cursor = res.body.data.cursor;
    if (!res.body.data.has_more) return records;
  }
}

describe('last-write-wins', () => {
  it('keeps the newer write whichever arrives first, and reports the older one as a conflict', async () => {
    const key = await memoryKey();
    const older = upsert('n1', '2024-01-15T10:00:00Z', { text: 'old' });
    const newer = upsert('n1', '2024-01-15T11:00:00Z', { text: 'new' });

    const first = await push(key, 'a', [older]);
    expect(first.body.data.results[0].status).toBe('synced');
    expect((await push(key, 'a', [newer])).body.data.results[0].status).toBe('synced');

    const reversed = await push(key, 'b', [newer]);
    expect(reversed.body.data.results[0].status).toBe('synced');
    const late = await push(key, 'b', [older]);
    expect(late.body.data.results[0]).toMatchObject({ status: 'conflict', server_local_updated_at: '2024-01-15T11:00:00Z' });
    expect(late.body.data).toMatchObject({ pushed: 0, conflicts: 1, failed: 0 });

    for (const agent of ['a', 'b']) expect((await liveRecords(key, agent)).get('notes/n1').data.text).toBe('new');
  });

  it('compares timestamps as instants, to the microsecond, whatever their zone notation', async () => {
    const key = await memoryKey();
    await push(key, 'a', [upsert('n', '2024-01-15T10:00:00.000002+00:00', { v: 2 })]);
    const res = await push(key, 'a', [upsert('n', '2024-01-15T11:00:00.000001+01:00', { v: 1 })]);
    expect(res.body.data.results[0].status).toBe('conflict');
  });

  it('breaks equal timestamps the same way whatever the arrival order', async () => {
    const key = await memoryKey();
    const at = '2024-01-15T10:00:00Z';
    const x = upsert('tie', at, { text: 'x' });
    const y = upsert('tie', at, { text: 'y' });
    await push(key, 'a', [x]);
    await push(key, 'a', [y]);
    await push(key, 'b', [y]);
    await push(key, 'b', [x]);
    const a = (await liveRecords(key, 'a')).get('notes/tie');
    const b = (await liveRecords(key, 'b')).get('notes/tie');
    expect(a.data).toEqual(b.data);
  });

  it('writes a tombstone that pulls return as delete and an older upsert cannot resurrect', async () => {
    const key = await memoryKey();
    await push(key, 'a', [upsert('gone', '2024-01-15T10:00:00Z', { text: 'v1' })]);
    expect((await push(key, 'a', [remove('gone', '2024-01-15T12:00:00Z')])).body.data.results[0].status).toBe('synced');
    const stale = await push(key, 'a', [upsert('gone', '2024-01-15T11:00:00Z', { text: 'stale' })]);
    expect(stale.body.data.results[0].status).toBe('conflict');

    expect((await liveRecords(key, 'a')).has('notes/gone')).toBe(false);
    const changes = (await pull(key, { agent_id: 'a', device_id: 'fresh' })).body.data.operations;
    expect(changes.map((c: any) => c.operation)).toEqual(['upsert', 'delete']);
    expect(changes[1]).toMatchObject({ table: 'notes', record_id: 'gone', local_updated_at: '2024-01-15T12:00:00Z' });

    const revived = await push(key, 'a', [upsert('gone', '2024-01-15T13:00:00Z', { text: 'back' })]);
    expect(revived.body.data.results[0].status).toBe('synced');
    expect((await liveRecords(key, 'a')).get('notes/gone').data.text).toBe('back');
  });
});

describe('push batches', () => {
  it('applies the valid operations of a mixed batch and reports each invalid one', async () => {
    const key = await memoryKey();
    await push(key, 'a', [upsert('exists', '2024-01-01T00:00:00Z')]);
    const res = await push(key, 'a', [
      upsert('ok1', '2024-01-15T10:00:00Z', { n: 1 }, 'episodes'),
      upsert('bad-table', '2024-01-15T10:00:00Z', {}, 'secrets'),
      { table: 'notes', record_id: 'no-time', operation: 'upsert', data: { text: 'x' } },
      { table: 'notes', record_id: 'bad-time', operation: 'upsert', data: {}, local_updated_at: 'yesterday' },
      { table: 'notes', record_id: 'bad-op', operation: 'merge', data: {}, local_updated_at: '2024-01-15T10:00:00Z' },
      { table: 'notes', record_id: 'exists', operation: 'insert', data: {}, local_updated_at: '2024-01-15T10:00:00Z' },
      'not an object',
      { table: 'notes', record_id: 'ok2', operation: 'insert', data: { n: 2 }, local_updated_at: '2024-01-15T10:00:00Z' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.data.results.map((r: any) => r.status)).toEqual([
      'synced',
      'error',
      'error',
      'error',
      'error',
      'error',
      'error',
      'synced',
    ]);
    expect(res.body.data.results[1].error).toMatch(/unknown table secrets/);
    expect(res.body.data.results[2].error).toMatch(/local_updated_at is required/);
    expect(res.body.data.results[5].error).toMatch(/already exists/);
    expect(res.body.data).toMatchObject({ pushed: 2, failed: 6, remaining: 0 });
    expect([...(await liveRecords(key, 'a')).keys()].sort()).toEqual(['episodes/ok1', 'notes/exists', 'notes/ok2']);
  });

  it('changes nothing when the same push is replayed', async () => {
    const key = await memoryKey();
    const batch = [
      upsert('r1', '2024-01-15T10:00:00Z', { text: 'one' }),
      { table: 'notes', record_id: 'r2', operation: 'insert', data: { text: 'two' }, local_updated_at: '2024-01-15T10:00:00Z' },
      remove('r3', '2024-01-15T10:00:00Z'),
    ];
    const first = await push(key, 'a', batch);
    expect(first.body.data.pushed).toBe(3);
    const after = (await pull(key, { agent_id: 'a', device_id: 'd' })).body.data;
    expect(after.operations).toHaveLength(3);

    const replay = await push(key, 'a', batch);
    expect(replay.body.data.results.map((r: any) => r.status)).toEqual(['synced', 'synced', 'synced']);
    expect(replay.body.data.results.every((r: any) => r.server_seq === undefined)).toBe(true);
    const again = (await pull(key, { agent_id: 'a', cursor: after.cursor })).body.data;
    expect(again.operations).toEqual([]);
    const status = (await call(api.url, 'GET', '/sync/status?agent_id=a&device_id=d', { key })).body.data;
    expect(status).toMatchObject({ remote_changes_available: 0, pending_operations: 0 });
  });

  it('keeps unknown fields of a record and refuses a record over the item size instead of truncating it', async () => {
    const key = await memoryKey();
    const data = {
      objective: 'x',
      nested: { deep: [1, 'two', { three: null }] },
      'odd key': true,
      emoji: '🧠',
      local_updated_at: '2024-01-15T10:00:00Z',
    };
    const big = upsert('big', '2024-01-15T10:00:00Z', { blob: 'x'.repeat(420 * 1024) });
    const res = await push(key, 'a', [{ table: 'beliefs', record_id: 'b1', operation: 'upsert', data }, big]);
    expect(res.body.data.results[0].status).toBe('synced');
    expect(res.body.data.results[1]).toMatchObject({ status: 'error' });
    expect(res.body.data.results[1].error).toMatch(/limit/);
    const records = await liveRecords(key, 'a');
    expect(records.get('beliefs/b1').data).toEqual(data);
    expect(records.has('notes/big')).toBe(false);
  });

  it('refuses more than 1,000 operations (400)', async () => {
    const key = await memoryKey();
    const many = Array.from({ length: 1001 }, (_, i) => upsert(`r${i}`, '2024-01-15T10:00:00Z'));
    const tooMany = await push(key, 'a', many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ success: false, error: { code: 'INVALID_REQUEST' } });
    expect(tooMany.body.error.message).toMatch(/1000 operations/);
  });

  /** A push body of exactly `bytes` bytes, made of records each under the item size limit. */
  function pushBodyOfSize(bytes: number, agent: string) {
    const operations: Op[] = [];
    const body = { agent_id: agent, operations };
    const size = () => Buffer.byteLength(JSON.stringify(body));
    const piece = 300 * 1024;
    while (size() + piece < bytes) operations.push(upsert(`h${operations.length}`, '2024-01-15T10:00:00Z', { blob: 'y'.repeat(piece) }));
    const last = upsert(`h${operations.length}`, '2024-01-15T10:00:00Z', { blob: '' });
    operations.push(last);
    last.data!.blob = 'y'.repeat(bytes - size());
    expect(size()).toBe(bytes);
    return body;
  }

  // memory's own limit sits between the kit's default (1 MiB) and the gateway's (10 MiB)
  it.each(['/sync/push', '/sync/full'])(
    `%s refuses a body one byte over memory's limit of ${MEMORY_MAX_BODY_BYTES} bytes (413) and takes one at the limit`,
    async (path) => {
      expect(MEMORY_MAX_BODY_BYTES).toBeGreaterThan(config.maxBodyBytes);
      const key = await memoryKey();
      const over = await call(api.url, 'POST', path, { key, body: pushBodyOfSize(MEMORY_MAX_BODY_BYTES + 1, 'a') });
      expect(over.status).toBe(413);
      expect(over.body).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(over.body.error.message).toMatch(`the limit is ${MEMORY_MAX_BODY_BYTES} bytes`);
      expect((await liveRecords(key, 'a')).size).toBe(0);

      const atLimit = pushBodyOfSize(MEMORY_MAX_BODY_BYTES, 'b');
      const taken = await call(api.url, 'POST', path, { key, body: atLimit });
      expect(taken.status).toBe(200);
      expect((await liveRecords(key, 'b')).size).toBe(atLimit.operations.length);
    },
  );

  it('processes at most `limit` operations and reports the rest as remaining', async () => {
    const key = await memoryKey();
    const res = await call(api.url, 'POST', '/sync/push', {
      key,
      body: {
        agent_id: 'a',
        limit: 2,
        operations: [upsert('1', '2024-01-15T10:00:00Z'), upsert('2', '2024-01-15T10:00:00Z'), upsert('3', '2024-01-15T10:00:00Z')],
      },
    });
    expect(res.body.data).toMatchObject({ pushed: 2, remaining: 1 });
    expect(res.body.data.results).toHaveLength(2);
  });
});

describe('pull', () => {
  it('pages changes with the cursor in server order, once each, and full pull returns live records', async () => {
    const key = await memoryKey();
    const ops = Array.from({ length: 7 }, (_, i) => upsert(`p${i}`, `2024-01-15T10:00:0${i}Z`, { i }));
    await push(key, 'a', ops);
    await push(key, 'a', [remove('p0', '2024-01-16T00:00:00Z')]);

    const seen: any[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = (await pull(key, { agent_id: 'a', limit: 3, cursor })).body.data;
      seen.push(...page.operations);
      cursor = page.cursor;
      pages++;
      if (!page.has_more) break;
    } while (pages < 10);
    expect(seen.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.at(-1)).toMatchObject({ operation: 'delete', record_id: 'p0' });
    const end = (await pull(key, { agent_id: 'a', cursor })).body.data;
    expect(end).toMatchObject({ operations: [], has_more: false, pulled: 0 });

    const live = await liveRecords(key, 'a');
    expect([...live.keys()].sort()).toEqual(['notes/p1', 'notes/p2', 'notes/p3', 'notes/p4', 'notes/p5', 'notes/p6']);
  });

  it('runs pull then push in /sync/full', async () => {
    const key = await memoryKey();
    await push(key, 'a', [upsert('remote', '2024-01-15T10:00:00Z', {}, 'goals')]);
    const res = await call(api.url, 'POST', '/sync/full', {
      key,
      body: { agent_id: 'a', operations: [upsert('local', '2024-01-15T10:00:00Z', {}, 'drives')] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      pull: { records: 1, tables: ['goals'], has_more: false },
      push: { records: 1, tables: ['drives'] },
      conflicts_resolved: 0,
    });
    expect(res.body.data.pull.operations[0].record_id).toBe('remote');
    expect(typeof res.body.data.sync_completed_at).toBe('string');
  });
});

describe('isolation', () => {
  it('keeps agents and tenants apart', async () => {
    const admin = await memoryKey();
    const tenant = (await api.key({ surfaces: ['memory'] })).tenant;
    const bound = await memoryKey({ tenant, agent: 'alice' });
    const aliceAdmin = await memoryKey({ tenant });
    await push(bound, 'alice', [upsert('secret', '2024-01-15T10:00:00Z', { text: 'alice only' })]);

    // agent-bound key: another agent is not found, for reads and writes
    expect((await push(bound, 'bob', [upsert('x', '2024-01-15T10:00:00Z')])).status).toBe(404);
    expect((await pull(bound, { agent_id: 'bob' })).status).toBe(404);
    expect((await call(api.url, 'GET', '/sync/status?agent_id=bob', { key: bound })).status).toBe(404);
    expect((await pull(bound, {})).body.data.pulled).toBe(1);

    // same tenant, other agent: sees nothing of alice's
    expect((await liveRecords(aliceAdmin, 'bob')).size).toBe(0);
    expect((await liveRecords(aliceAdmin, 'alice')).size).toBe(1);

    // another tenant with the same agent name: nothing visible, and its writes land in its own space
    expect((await liveRecords(admin, 'alice')).size).toBe(0);
    await push(admin, 'alice', [upsert('secret', '2025-01-01T00:00:00Z', { text: 'overwrite?' })]);
    expect((await liveRecords(aliceAdmin, 'alice')).get('notes/secret').data.text).toBe('alice only');

    // an unbound key must name the agent
    expect((await pull(admin, {})).status).toBe(400);
  });

  it('refuses a key without the memory surface', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    expect((await pull(key, { agent_id: 'a' })).status).toBe(403);
  });
});

describe('the shipping Kernle client', () => {
  it('round-trips records in its wire shape', async () => {
    const key = await memoryKey();
    const now = new Date().toISOString();
    const kernlePush = {
      stack_id: 'claire',
      operations: [
        {
          operation: 'update',
          table: 'episodes',
          record_id: 'ep1',
          local_updated_at: now,
          version: 3,
          data: { objective: 'Debugged', lessons: ['logs'], local_updated_at: now },
        },
        { operation: 'update', table: 'raw_captures', record_id: 'raw1', local_updated_at: now, version: 1, data: { content: 'hi' } },
        { operation: 'update', table: 'values', record_id: 'v1', local_updated_at: now, version: 1, data: { name: 'honesty' } },
        { operation: 'delete', table: 'notes', record_id: 'n-old', local_updated_at: now, version: 2 },
        { operation: 'update', table: 'bogus', record_id: 'b', local_updated_at: now, version: 1, data: {} },
      ],
    };
    const pushed = await call(api.url, 'POST', '/sync/push', { key, body: kernlePush });
    expect(pushed.status).toBe(200);
    expect(pushed.body.success).toBe(true);
    expect(pushed.body.synced).toBe(4);
    expect(pushed.body.conflicts).toEqual([{ record_id: 'b', table: 'bogus', error: 'unknown table bogus' }]);
    expect(pushed.body.acknowledged_operations).toEqual([
      { table: 'episodes', record_id: 'ep1' },
      { table: 'raw_captures', record_id: 'raw1' },
      { table: 'values', record_id: 'v1' },
      { table: 'notes', record_id: 'n-old' },
    ]);
    expect(pushed.body.data.pushed).toBe(4);

    const pulled = await call(api.url, 'POST', '/sync/pull', { key, body: { stack_id: 'claire' } });
    expect(pulled.status).toBe(200);
    expect(pulled.body.has_more).toBe(false);
    expect(typeof pulled.body.server_time).toBe('string');
    expect(pulled.body.data.operations).toBeUndefined();
    expect(pulled.body.operations).toEqual([
      { operation: 'update', table: 'episodes', record_id: 'ep1', data: kernlePush.operations[0].data, local_updated_at: now, version: 3 },
      { operation: 'update', table: 'raw_captures', record_id: 'raw1', data: { content: 'hi' }, local_updated_at: now, version: 1 },
      { operation: 'update', table: 'agent_values', record_id: 'v1', data: { name: 'honesty' }, local_updated_at: now, version: 1 },
      { operation: 'delete', table: 'notes', record_id: 'n-old', data: null, local_updated_at: now, version: 2 },
    ]);
    // the seed's view of the same records uses the seed's table names
    const seedView = await liveRecords(key, 'claire');
    expect([...seedView.keys()].sort()).toEqual(['agent_values/v1', 'episodes/ep1', 'raw_entries/raw1']);
  });

  it('does not miss changes when the client clock runs ahead of the server', async () => {
    const key = await memoryKey();
    const deviceClock = (offsetMs: number) => new Date(Date.now() + 3_600_000 + offsetMs).toISOString(); // one hour fast
    await push(key, 'claire', [upsert('first', '2024-01-15T10:00:00Z')]);
    const firstPull = await call(api.url, 'POST', '/sync/pull', { key, body: { stack_id: 'claire' } });
    expect(firstPull.body.operations).toHaveLength(1);
    const since = deviceClock(0);

    // another device pushes after our pull; its change carries an old local timestamp
    await push(key, 'claire', [upsert('second', '2024-01-15T09:00:00Z')]);
    const next = await call(api.url, 'POST', '/sync/pull', { key, body: { stack_id: 'claire', since } });
    // changes inside the safety margin may come again; a last-write-wins client absorbs them
    expect(next.body.operations.map((o: any) => o.record_id)).toContain('second');
  });

  it('maps since onto the server sequence for a key that never pulled, with a safety margin', async () => {
    const tenant = (await api.key()).tenant;
    const writer = await memoryKey({ tenant });
    await push(writer, 'claire', [upsert('before', '2024-01-15T10:00:00Z')]);
    // what the server observed half an hour ago: everything up to sequence 1 was settled
    const halfHourAgo = new Date(Date.now() - 30 * 60_000);
    await documentClient().send(
      new PutCommand({
        TableName: config.tableName('syncRecords'),
        Item: { pk: partitionKey(tenant, 'claire'), sk: markKey(halfHourAgo), seq: 1 },
      }),
    );
    await push(writer, 'claire', [upsert('after', '2024-01-15T09:00:00Z')]);

    // a device whose last pull was 20 minutes ago by its clock, which runs 5 minutes fast, pulling with a new key
    const newKey = await memoryKey({ tenant });
    const since = new Date(Date.now() - 15 * 60_000).toISOString();
    const res = await call(api.url, 'POST', '/sync/pull', { key: newKey, body: { stack_id: 'claire', since } });
    expect(res.body.operations.map((o: any) => o.record_id)).toEqual(['after']);
  });
});

describe('SDK', () => {
  it('pushes, reads status and iterates a paged pull with for await', async () => {
    const client = createSatchelClient({ baseUrl: api.url, apiKey: await memoryKey(), retries: 0 });
    const pushed = await client.syncPush({
      agent_id: 'sdk',
      operations: Array.from({ length: 5 }, (_, i) => ({
        table: 'notes',
        record_id: `s${i}`,
        operation: 'upsert' as const,
        data: { i },
        local_updated_at: '2024-01-15T10:00:00Z',
      })),
    });
    expect(pushed.pushed).toBe(5);
    expect((await client.syncStatus({ agent_id: 'sdk' })).remote_changes_available).toBe(5);

    const pages: number[] = [];
    for await (const page of client.pullAll({ agent_id: 'sdk', limit: 2 })) pages.push(page.pulled);
    expect(pages).toEqual([2, 2, 1]);

    const ids: string[] = [];
    for await (const op of client.pullOperations({ agent_id: 'sdk', full: true, limit: 3 })) ids.push(op.record_id);
    expect(ids.sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);

    await expect(client.syncPull({ agent_id: 'sdk', cursor: 'garbage' })).rejects.toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
  });

  it('sends its deviceId, so a pull without cursor continues where this device stopped', async () => {
    const apiKey = await memoryKey();
    const laptop = createSatchelClient({ baseUrl: api.url, apiKey, deviceId: 'laptop', retries: 0 });
    const phone = createSatchelClient({ baseUrl: api.url, apiKey, deviceId: 'phone', retries: 0 });
    await laptop.syncPush({
      agent_id: 'sdk',
      operations: [{ table: 'notes', record_id: 'n', operation: 'upsert', data: {}, local_updated_at: '2024-01-15T10:00:00Z' }],
    });
    expect((await laptop.syncPull({ agent_id: 'sdk' })).pulled).toBe(1);
    expect((await laptop.syncPull({ agent_id: 'sdk' })).pulled).toBe(0);
    expect(await laptop.syncStatus({ agent_id: 'sdk' })).toMatchObject({ remote_changes_available: 0 });
    expect(await phone.syncStatus({ agent_id: 'sdk' })).toMatchObject({ remote_changes_available: 1, last_pull: null });
    expect((await phone.syncFull({ agent_id: 'sdk' })).pull.records).toBe(1);
    expect((await phone.syncPull({ agent_id: 'sdk' })).pulled).toBe(0);
  });
});
