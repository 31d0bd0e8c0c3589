import { call, startTestApi, type TestApi } from '../../support/api';

/**
 * Several devices of one user on one API key: pull positions belong to the client (a cursor, a
 * `since` from its own clock, or a server-side position of a device that names itself), so what
 * one device does never hides a change from another.
 */

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const memoryKey = async (options: { tenant?: string; agent?: string } = {}) => (await api.key({ ...options, surfaces: ['memory'] })).key;

type KernleOp = {
  operation: string;
  table: string;
  record_id: string;
  data?: Record<string, unknown> | null;
  local_updated_at: string;
  version?: number;
};

/**
 * Replays what the shipping Kernle CLI sends (kernle/cli/commands/sync.py): `sync push` posts
 * {stack_id, operations} stamped with the device's clock; `sync pull` posts {stack_id} the first
 * time and {stack_id, since} later, `since` being the device's clock at its last pull that
 * returned operations; `--full` sends no `since`; `sync full` posts {stack_id, since: null} on a
 * device that never pulled. Pulled operations are applied last-write-wins into a local store.
 */
class KernleDevice {
  readonly store = new Map<string, KernleOp>();
  private lastSync: string | null = null;
  constructor(
    private readonly key: string,
    private readonly clockOffsetMs: number,
    private readonly stack = 'claire',
  ) {}

  clock(): string {
    return new Date(Date.now() + this.clockOffsetMs).toISOString().replace('Z', '+00:00');
  }

  async push(ops: Omit<KernleOp, 'local_updated_at' | 'version'>[]) {
    const stamp = this.clock();
    const operations = ops.map((op) => ({ ...op, local_updated_at: stamp, version: 1 }));
    const res = await call(api.url, 'POST', '/sync/push', { key: this.key, body: { stack_id: this.stack, operations } });
    expect(res.status).toBe(200);
    for (const op of operations) this.store.set(`${op.table}/${op.record_id}`, op);
    return res.body;
  }

  /** `kernle sync pull [--full]`, or the pull step of `kernle sync full` (`syncFull`). */
  async pull(mode: { full?: boolean; syncFull?: boolean } = {}): Promise<KernleOp[]> {
    const body: Record<string, unknown> = { stack_id: this.stack };
    if (mode.syncFull) body.since = this.lastSync;
    else if (this.lastSync && !mode.full) body.since = this.lastSync;
    const res = await call(api.url, 'POST', '/sync/pull', { key: this.key, body });
    expect(res.status).toBe(200);
    const operations = res.body.operations as KernleOp[];
    for (const op of operations) {
      const id = `${op.table}/${op.record_id}`;
      const mine = this.store.get(id);
      if (!mine || mine.local_updated_at <= op.local_updated_at) this.store.set(id, op);
    }
    if (operations.length) this.lastSync = this.clock();
    return operations;
  }

  has(table: string, recordId: string, field?: [string, unknown]): boolean {
    const op = this.store.get(`${table}/${recordId}`);
    return op !== undefined && (!field || op.data?.[field[0]] === field[1]);
  }
}

const seedPull = (key: string, body: Record<string, unknown>) => call(api.url, 'POST', '/sync/pull', { key, body });
const seedPush = (key: string, agent: string, records: [string, Record<string, unknown>][], at = '2024-01-15T10:00:00Z') =>
  call(api.url, 'POST', '/sync/push', {
    key,
    body: {
      agent_id: agent,
      operations: records.map(([id, data]) => ({ table: 'notes', record_id: id, operation: 'upsert', data, local_updated_at: at })),
    },
  });

describe('two devices sharing one key', () => {
  it('B receives what A pushed and pulled, whatever B sends: no since, a since from a clock an hour fast, full', async () => {
    const key = await memoryKey();
    const a = new KernleDevice(key, 0);
    const b = new KernleDevice(key, 3_600_000);
    await a.push([
      { operation: 'update', table: 'episodes', record_id: 'ep1', data: { objective: 'Debugged API issue', outcome: 'success' } },
      { operation: 'update', table: 'notes', record_id: 'n1', data: { content: 'check logs first' } },
    ]);
    expect((await a.pull()).map((o) => o.record_id).sort()).toEqual(['ep1', 'n1']);

    expect((await b.pull()).map((o) => o.record_id).sort()).toEqual(['ep1', 'n1']);
    expect(b.has('episodes', 'ep1') && b.has('notes', 'n1')).toBe(true);

    // A changes something after B's pull; B's next pull sends `since` from its clock, an hour ahead of the server
    await a.push([{ operation: 'update', table: 'notes', record_id: 'n2', data: { content: 'written after B pulled' } }]);
    await a.pull();
    expect((await b.pull()).map((o) => o.record_id)).toContain('n2');

    const full = await b.pull({ full: true });
    expect(full.map((o) => o.record_id).sort()).toEqual(['ep1', 'n1', 'n2']);
  });

  it('follows the Kernle CLI on two devices both ways, including sync full on a third device that never pulled', async () => {
    const key = await memoryKey();
    const laptop = new KernleDevice(key, 4 * 60_000); // clocks a few minutes apart, as real ones are
    const desktop = new KernleDevice(key, -3 * 60_000);

    await laptop.push([
      { operation: 'update', table: 'episodes', record_id: 'ep-laptop', data: { objective: 'first episode' } },
      { operation: 'update', table: 'notes', record_id: 'note-laptop', data: { content: 'v1' } },
    ]);
    await laptop.pull();
    expect(await desktop.pull()).toHaveLength(2);
    expect(await desktop.pull({ full: true })).toHaveLength(2);

    // the way back: the desktop pushes, the laptop pulls with its since
    await desktop.push([{ operation: 'update', table: 'notes', record_id: 'note-desktop', data: { content: 'from the desktop' } }]);
    await desktop.pull();
    expect((await laptop.pull()).map((o) => o.record_id)).toContain('note-desktop');

    // and again: the laptop edits a note the desktop already has
    await laptop.push([{ operation: 'update', table: 'notes', record_id: 'note-laptop', data: { content: 'v2' } }]);
    expect((await desktop.pull()).map((o) => o.record_id)).toContain('note-laptop');

    const third = new KernleDevice(key, 0);
    expect(new Set((await third.pull({ syncFull: true })).map((o) => o.record_id))).toEqual(
      new Set(['ep-laptop', 'note-desktop', 'note-laptop']),
    );

    for (const device of [laptop, desktop, third]) {
      expect(device.has('notes', 'note-laptop', ['content', 'v2'])).toBe(true);
      expect(device.has('notes', 'note-desktop')).toBe(true);
      expect(device.has('episodes', 'ep-laptop')).toBe(true);
    }
  });
});

describe('server-side positions', () => {
  it('keeps one position per named device; unnamed pulls replay from the beginning and move no device', async () => {
    const key = await memoryKey();
    await seedPush(key, 'a', [['x', { n: 1 }]]);
    expect((await seedPull(key, { agent_id: 'a', device_id: 'laptop' })).body.data.pulled).toBe(1);
    await seedPush(key, 'a', [['y', { n: 2 }]]);

    // unnamed callers, however often they pull, start from the beginning
    for (let i = 0; i < 2; i++) {
      const unnamed = (await seedPull(key, { agent_id: 'a' })).body.data;
      expect(unnamed.operations.map((o: any) => o.record_id)).toEqual(['x', 'y']);
    }
    const laptopStatus = (await call(api.url, 'GET', '/sync/status?agent_id=a&device_id=laptop', { key })).body.data;
    expect(laptopStatus).toMatchObject({ remote_changes_available: 1, remote_changes_capped: false, pending_operations: 0 });

    // the phone's first pull does not move the laptop, the laptop's does not move the phone
    expect((await seedPull(key, { agent_id: 'a', device_id: 'phone' })).body.data.pulled).toBe(2);
    expect((await seedPull(key, { agent_id: 'a', device_id: 'laptop' })).body.data.operations.map((o: any) => o.record_id)).toEqual(['y']);
    await seedPush(key, 'a', [['z', { n: 3 }]]);
    expect((await seedPull(key, { agent_id: 'a', device_id: 'phone' })).body.data.operations.map((o: any) => o.record_id)).toEqual(['z']);
    expect((await seedPull(key, { agent_id: 'a', device_id: 'laptop' })).body.data.operations.map((o: any) => o.record_id)).toEqual(['z']);

    const never = (await call(api.url, 'GET', '/sync/status?agent_id=a&device_id=tablet', { key })).body.data;
    expect(never).toMatchObject({ last_pull: null, remote_changes_available: 3 });
    const agentWide = (await call(api.url, 'GET', '/sync/status?agent_id=a', { key })).body.data;
    expect(typeof agentWide.last_pull).toBe('string');
    expect(agentWide.remote_changes_available).toBe(0);
  });

  it('pages 2,500 records with full: true, each exactly once, while records change', async () => {
    const key = await memoryKey();
    const ids = Array.from({ length: 2500 }, (_, i) => `r${String(i).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i += 1000) {
      const res = await seedPush(
        key,
        'big',
        ids.slice(i, i + 1000).map((id) => [id, { id }]),
      );
      expect(res.body.data.pushed).toBe(Math.min(1000, ids.length - i));
    }
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = (await seedPull(key, { agent_id: 'big', full: true, limit: 400, cursor })).body.data;
      pages++;
      for (const op of page.operations) seen.set(op.record_id, (seen.get(op.record_id) ?? 0) + 1);
      if (!page.has_more) break;
      cursor = page.cursor;
      // records before and after the page boundary change while the client pages
      await seedPush(
        key,
        'big',
        [
          [ids[pages * 7], { edited: pages }],
          [ids[2499 - pages], { edited: pages }],
        ],
        `2024-01-16T10:00:0${pages % 10}Z`,
      );
    }
    expect(pages).toBe(7);
    expect(seen.size).toBe(2500);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // repeating the last cursor with full: true is a request of another shape, refused with the reason
    const repeat = await seedPull(key, {
      agent_id: 'big',
      full: true,
      cursor: (await seedPull(key, { agent_id: 'big', full: true, limit: 5000 })).body.data.cursor,
    });
    expect(repeat.status).toBe(400);
    expect(repeat.body.error.message).toMatch(/without full/);
  });
});

describe('/sync/full', () => {
  it('accepts an empty body from an agent-bound key and asks an unbound key for the agent', async () => {
    const tenant = (await api.key()).tenant;
    const bound = await memoryKey({ tenant, agent: 'claire' });
    await seedPush(bound, 'claire', [['n', { text: 'hello' }]]);
    const res = await fetch(`${api.url}/sync/full`, { method: 'POST', headers: { authorization: `Bearer ${bound}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      success: true,
      data: { pull: { records: 1, has_more: false, full_resync: false }, push: { records: 0 } },
    });

    const unbound = await memoryKey({ tenant });
    const refused = await fetch(`${api.url}/sync/full`, { method: 'POST', headers: { authorization: `Bearer ${unbound}` } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.message).toMatch(/agent_id/);
  });
});
