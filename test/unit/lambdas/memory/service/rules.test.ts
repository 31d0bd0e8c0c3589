import { contentHash, timestampMicros } from '../../../../../lambdas/memory/service/records';
import {
  chunksOf,
  decide,
  parseOperation,
  settled,
  written,
  type CurrentState,
  type Operation,
} from '../../../../../lambdas/memory/service/rules';

/** A parsed operation (or the test fails with the refusal). */
function op(raw: Record<string, unknown>): Operation {
  const parsed = parseOperation({
    table: 'notes',
    record_id: 'n1',
    operation: 'upsert',
    data: { text: 'x' },
    local_updated_at: '2026-01-01T00:00:00.000Z',
    ...raw,
  });
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}
const stored = (o: Operation, extra: Partial<CurrentState> = {}): CurrentState => ({
  ts: o.version.ts,
  h: o.version.hash,
  del: o.deleted,
  seq: 7,
  lua: o.localUpdatedAt,
  ...extra,
});

describe('memory push rules', () => {
  it('parses an operation: canonical table, timestamp in microseconds, content hash', () => {
    const o = op({ table: 'raw_captures', local_updated_at: '2026-01-01T00:00:00.123456Z' });
    expect(o.table).toBe('raw_entries');
    expect(o.version).toEqual({ ts: timestampMicros('2026-01-01T00:00:00.123456Z'), hash: contentHash(false, { text: 'x' }) });
    expect(o.version.ts % 1_000_000).toBe(123456);
    expect(op({ data: { text: 'x', local_updated_at: '2026-02-02T00:00:00Z' }, local_updated_at: undefined }).localUpdatedAt).toBe(
      '2026-02-02T00:00:00Z',
    );
  });

  it('refuses, in the words of the wire, what cannot be applied', () => {
    expect(parseOperation({ table: 'nope', record_id: 'a', operation: 'upsert', data: {}, local_updated_at: '2026-01-01T00:00:00Z' })).toBe(
      'unknown table nope',
    );
    expect(parseOperation({ table: 'notes', record_id: 'a', operation: 'upsert', local_updated_at: '2026-01-01T00:00:00Z' })).toBe(
      'upsert needs data',
    );
    expect(parseOperation({ table: 'notes', record_id: 'a', operation: 'upsert', data: {} })).toBe(
      'local_updated_at is required (on the operation or in data)',
    );
    expect(parseOperation({ table: 'notes', record_id: 'a', operation: 'upsert', data: {}, local_updated_at: 'yesterday' })).toBe(
      'local_updated_at is not an ISO 8601 timestamp: yesterday',
    );
    expect(
      parseOperation({ table: 'notes', record_id: 'é'.repeat(600), operation: 'delete', local_updated_at: '2026-01-01T00:00:00Z' }),
    ).toMatch(/^record_id: 1200 bytes in UTF-8; the limit is \d+ bytes$/);
  });

  it('last write wins: a later timestamp wins, an earlier one is a conflict', () => {
    const older = op({ local_updated_at: '2026-01-01T00:00:00Z' });
    const newer = op({ local_updated_at: '2026-01-01T00:00:01Z', data: { text: 'y' } });
    expect(decide(newer, undefined)).toBe('write');
    expect(decide(newer, stored(older))).toBe('write');
    expect(decide(older, stored(newer))).toEqual({ status: 'conflict', current: stored(newer) });
  });

  it('ties on the timestamp break by the content hash, the same way on every server and device', () => {
    const a = op({ data: { text: 'a' } });
    const b = op({ data: { text: 'b' } });
    const [low, high] = a.version.hash < b.version.hash ? [a, b] : [b, a];
    expect(decide(high, stored(low))).toBe('write');
    expect(decide(low, stored(high))).toMatchObject({ status: 'conflict' });
  });

  it('the same version again is synced (a retried push changes nothing); insert refuses a live record, not a deleted one', () => {
    const o = op({});
    expect(decide(o, stored(o))).toEqual({ status: 'synced', current: stored(o) });
    const insert = op({ operation: 'insert', local_updated_at: '2026-03-01T00:00:00Z' });
    expect(decide(insert, stored(o))).toEqual({ status: 'error', error: 'insert: the record already exists (use upsert or update)' });
    expect(decide(insert, stored(o, { del: true }))).toBe('write');
  });

  it('answers: a conflict names the winning timestamp, a write its sequence number and new state', () => {
    const o = op({});
    const winner = stored(op({ local_updated_at: '2027-01-01T00:00:00Z' }));
    expect(settled(o, { status: 'conflict', current: winner }, winner).result).toEqual({
      status: 'conflict',
      server_local_updated_at: '2027-01-01T00:00:00Z',
      error: 'the server holds a newer version (local_updated_at 2027-01-01T00:00:00Z)',
    });
    expect(written(o, 42)).toEqual({ result: { status: 'synced', remote_id: 'n1', server_seq: 42 }, state: { ...stored(o), seq: 42 } });
  });

  it('groups operations into transactions of at most 50 and about 3 MiB', () => {
    const small = Array.from({ length: 120 }, (_, index) => ({ op: op({ record_id: `r${index}` }), index }));
    expect(chunksOf(small).map((c) => c.length)).toEqual([50, 50, 20]);
    // a 400,000-byte record counts twice its JSON plus 1 KiB: three fit in 3 MiB, a fourth would not
    const big = Array.from({ length: 8 }, (_, index) => ({
      op: op({ record_id: `b${index}`, data: { text: 'x'.repeat(400_000) } }),
      index,
    }));
    expect(chunksOf(big).map((c) => c.map((e) => e.index))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
  });
});

describe('last-write-wins across devices (seed 001: the record timestamp decides, never the push order)', () => {
  it('a device whose clock runs ahead keeps its write against a later push from a device whose clock is behind', () => {
    const ahead = op({ local_updated_at: '2026-01-01T00:05:00Z', data: { text: 'laptop' } });
    const behind = op({ local_updated_at: '2026-01-01T00:01:00Z', data: { text: 'phone' } });
    const decision = decide(behind, stored(ahead));
    expect(decision).toEqual({ status: 'conflict', current: stored(ahead) });
    expect(settled(behind, decision as Exclude<typeof decision, 'write'>, stored(ahead)).result.server_local_updated_at).toBe(
      '2026-01-01T00:05:00Z',
    );
  });

  it('timestamps compare as instants: zones are converted, no zone is UTC, microseconds separate writes in one millisecond', () => {
    const utc = op({ local_updated_at: '2026-01-01T00:00:00Z' });
    expect(decide(op({ local_updated_at: '2026-01-01T01:00:00+01:00' }), stored(utc))).toEqual({ status: 'synced', current: stored(utc) });
    expect(decide(op({ local_updated_at: '2026-01-01T00:00:00' }), stored(utc))).toEqual({ status: 'synced', current: stored(utc) });
    const first = op({ local_updated_at: '2026-01-01T00:00:00.000001Z', data: { text: 'first' } });
    const second = op({ local_updated_at: '2026-01-01T00:00:00.000002Z', data: { text: 'second' } });
    expect(decide(second, stored(first))).toBe('write');
    expect(decide(first, stored(second))).toMatchObject({ status: 'conflict' });
  });
});

describe('deletes take part in last-write-wins like any state', () => {
  const live = op({ local_updated_at: '2026-01-01T00:00:00Z' });
  const tombstone = op({ operation: 'delete', data: undefined, local_updated_at: '2026-01-02T00:00:00Z' });

  it('a newer delete replaces a live record; an older delete loses to a newer update', () => {
    expect(tombstone.deleted).toBe(true);
    expect(decide(tombstone, stored(live))).toBe('write');
    expect(decide(op({ operation: 'delete', data: undefined, local_updated_at: '2025-12-31T00:00:00Z' }), stored(live))).toMatchObject({
      status: 'conflict',
    });
    expect(written(tombstone, 8).state).toMatchObject({ del: true, seq: 8, lua: '2026-01-02T00:00:00Z' });
  });

  it('an older update cannot resurrect a deleted record; a newer one can', () => {
    expect(decide(op({ local_updated_at: '2026-01-01T12:00:00Z' }), stored(tombstone))).toMatchObject({ status: 'conflict' });
    expect(decide(op({ local_updated_at: '2026-01-03T00:00:00Z' }), stored(tombstone))).toBe('write');
  });

  it('a delete and an update with the same timestamp and data differ in hash: exactly one of them wins, in either order', () => {
    const update = op({ local_updated_at: '2026-01-02T00:00:00Z' });
    const remove = op({ operation: 'delete', local_updated_at: '2026-01-02T00:00:00Z' });
    expect(remove.version.ts).toBe(update.version.ts);
    expect(remove.version.hash).not.toBe(update.version.hash);
    const outcomes = [decide(remove, stored(update)), decide(update, stored(remove))];
    expect(outcomes.filter((d) => d === 'write')).toHaveLength(1);
    expect(outcomes.filter((d) => d !== 'write' && d.status === 'conflict')).toHaveLength(1);
  });
});

describe('retries are idempotent', () => {
  it('a retried update is synced even when its data arrives with the keys in another order', () => {
    const o = op({ data: { a: 1, b: { c: 2, d: 3 } } });
    const retry = op({ data: { b: { d: 3, c: 2 }, a: 1 } });
    expect(decide(retry, stored(o))).toEqual({ status: 'synced', current: stored(o) });
    expect(settled(retry, { status: 'synced', current: stored(o) }, stored(o))).toEqual({
      result: { status: 'synced', remote_id: 'n1' },
      state: stored(o),
    });
  });

  it('a retried delete is synced; a retried insert that already landed is synced, not refused as existing', () => {
    const remove = op({ operation: 'delete', data: undefined });
    expect(decide(op({ operation: 'delete', data: undefined }), stored(remove))).toEqual({ status: 'synced', current: stored(remove) });
    const insert = op({ operation: 'insert' });
    expect(decide(op({ operation: 'insert' }), stored(insert))).toEqual({ status: 'synced', current: stored(insert) });
  });

  it('a retried losing write loses again with the same winner', () => {
    const winner = stored(op({ local_updated_at: '2026-06-01T00:00:00Z', data: { text: 'w' } }));
    const loser = op({});
    expect(decide(loser, winner)).toEqual(decide(op({}), winner));
    expect(decide(loser, winner)).toEqual({ status: 'conflict', current: winner });
  });
});
