import type { ScopeRef } from './scope';
import {
  advanceFrontierHint,
  allocateSequence,
  readItems,
  readState,
  recordKey,
  recordTimes,
  STATE_ATTRIBUTES,
  voidSequence,
  writeOperations,
} from './store';
import { compactLog } from './compaction';
import type { MemoryTable } from '../../contracts/memory';
import {
  chunksOf,
  decide,
  parseOperation,
  settled,
  written,
  type CurrentState,
  type Operation,
  type Outcome,
  type PushResult,
} from './rules';
import { mapLimit } from '../../shared/map-limit';
import { sleep } from '../../shared/time';

/** Change items a push that wrote something compacts at least (see compaction.ts). */
const COMPACTION_MIN_BUDGET = 100;
/** Transactions one push keeps in flight. */
const WRITE_CONCURRENCY = 8;
const MAX_ATTEMPTS = 20;

/** Sequence numbers taken in blocks; numbers left unused are voided at the end. */
class SequencePool {
  private free: number[] = [];
  private readonly blocks: { first: number; last: number }[] = [];
  constructor(private readonly pk: string) {}

  async reserve(count: number): Promise<void> {
    if (count <= 0) return;
    const first = await allocateSequence(this.pk, count);
    this.blocks.push({ first, last: first + count - 1 });
    for (let i = 0; i < count; i++) this.free.push(first + i);
  }

  async take(): Promise<number> {
    return this.free.shift() ?? this.fresh();
  }

  /** A number above every number taken so far (e.g. above the one a record's state already holds). */
  fresh(): Promise<number> {
    return allocateSequence(this.pk, 1);
  }

  /** A number whose transaction did not commit and that nobody voided: another write may use it. */
  giveBack(seq: number): void {
    this.free.push(seq);
    this.free.sort((a, b) => a - b);
  }

  async voidUnused(): Promise<void> {
    const unused = this.free.splice(0);
    await mapLimit(unused, WRITE_CONCURRENCY, (seq) => voidSequence(this.pk, seq));
  }

  /** Once every number is settled: spares pullers the walk over our blocks when they follow the frontier hint. */
  async advanceHint(): Promise<void> {
    for (const block of this.blocks) if (!(await advanceFrontierHint(this.pk, block.first - 1, block.last))) return;
  }
}

const cancellationCodes = (error: unknown): string[] | undefined =>
  (error as { name?: string }).name === 'TransactionCanceledException'
    ? ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None')
    : undefined;

const isSizeError = (error: unknown): boolean =>
  (error as { name?: string }).name === 'ValidationException' && /size/i.test((error as Error).message);

/** Applies one operation with last-write-wins, atomically, retrying until its outcome is final. */
async function applyOperation(scope: ScopeRef, op: Operation, initial: CurrentState | undefined, pool: SequencePool): Promise<Outcome> {
  const sk = recordKey(op.table, op.recordId);
  let current = initial;
  let seq: number | undefined;
  let needFresh = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const decision = decide(op, current);
    if (decision !== 'write') {
      if (seq !== undefined) pool.giveBack(seq);
      return settled(op, decision, current);
    }
    seq ??= await (needFresh ? pool.fresh() : pool.take());
    try {
      await writeOperations(scope.pk, [{ op, seq }]);
      return written(op, seq);
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) {
        if (!isSizeError(error)) throw error;
        pool.giveBack(seq);
        return { result: { status: 'error', error: `record too large for one DynamoDB item: ${(error as Error).message}` } };
      }
      if (codes[1] === 'ConditionalCheckFailed') {
        // a puller voided our number while we were late: that number is spent, take another
        seq = undefined;
      }
      if (codes[0] === 'ConditionalCheckFailed') {
        current = await readState(scope.pk, sk);
        if (seq !== undefined && current && current.seq > seq) {
          pool.giveBack(seq);
          seq = undefined;
          needFresh = true;
        }
      }
      if (codes.includes('TransactionConflict')) await sleep(Math.random() * 10 * 2 ** Math.min(attempt, 6));
    }
  }
  if (seq !== undefined) pool.giveBack(seq);
  return { result: { status: 'error', error: 'too much contention on this record; retry the operation' } };
}

/** Operations per transaction on the fast path (2 items each; DynamoDB allows 100 items and 4 MB). */
/**
 * Fast path: operations on distinct records that are expected to win go into one transaction
 * per chunk. When a chunk is cancelled, the operations that caused it (a lost race, a number a
 * puller voided) are applied one by one and the innocent rest is retried as a chunk, a few times.
 */
async function applyChunk(
  scope: ScopeRef,
  chunk: { op: Operation; index: number }[],
  states: Map<string, CurrentState>,
  pool: SequencePool,
  retries = 3,
): Promise<Outcome[]> {
  const seqs = await Promise.all(chunk.map(() => pool.take()));
  try {
    await writeOperations(
      scope.pk,
      chunk.map(({ op }, j) => ({ op, seq: seqs[j] })),
    );
    return chunk.map(({ op }, j) => written(op, seqs[j]));
  } catch (error) {
    const codes = cancellationCodes(error);
    if (!codes && !isSizeError(error)) throw error;
    chunk.forEach((_, j) => {
      if (codes?.[2 * j + 1] !== 'ConditionalCheckFailed') pool.giveBack(seqs[j]);
    });
    const innocent = (j: number) => codes !== undefined && retries > 0 && codes[2 * j] === 'None' && codes[2 * j + 1] === 'None';
    const retried = chunk.filter((_, j) => innocent(j));
    const single = chunk.filter((_, j) => !innocent(j));
    const [retriedOutcomes, singleOutcomes] = await Promise.all([
      retried.length ? applyChunk(scope, retried, states, pool, retries - 1) : [],
      mapLimit(single, 4, async ({ op }, j) => {
        const stale = codes?.[2 * chunk.indexOf(single[j])] === 'ConditionalCheckFailed';
        const sk = recordKey(op.table, op.recordId);
        return applyOperation(scope, op, stale ? await readState(scope.pk, sk) : states.get(sk), pool);
      }),
    ]);
    return chunk.map((entry) =>
      retried.includes(entry) ? retriedOutcomes[retried.indexOf(entry)] : singleOutcomes[single.indexOf(entry)],
    );
  }
}

export interface PushOutcome {
  pushed: number;
  failed: number;
  conflicts: number;
  remaining: number;
  results: PushResult[];
  tables: MemoryTable[];
}

export async function pushOperations(scope: ScopeRef, rawOperations: unknown[], limit?: number): Promise<PushOutcome> {
  const batch = rawOperations.slice(0, limit ?? rawOperations.length);
  const parsed = batch.map(parseOperation);
  const results: PushResult[] = batch.map((raw, i) => {
    const r = (raw ?? {}) as { record_id?: unknown; table?: unknown };
    const base = { record_id: typeof r.record_id === 'string' ? r.record_id : '', table: typeof r.table === 'string' ? r.table : '' };
    const p = parsed[i];
    return typeof p === 'string' ? { ...base, status: 'error', error: p } : { ...base, status: 'synced' };
  });

  // operations on the same record run in request order: the k-th operation of each record goes in round k
  const perRecord = new Map<string, number[]>();
  parsed.forEach((p, i) => {
    if (typeof p === 'string') return;
    const sk = recordKey(p.table, p.recordId);
    perRecord.set(sk, [...(perRecord.get(sk) ?? []), i]);
  });
  const rounds: number[][] = [];
  for (const indexes of perRecord.values()) {
    indexes.forEach((i, k) => {
      rounds[k] ??= [];
      rounds[k].push(i);
    });
  }

  const states = await readItems<CurrentState>(scope.pk, [...perRecord.keys()], STATE_ATTRIBUTES);
  const pool = new SequencePool(scope.pk);
  const superseded: number[] = [];
  const record = (index: number, outcome: Outcome) => {
    const op = parsed[index] as Operation;
    const sk = recordKey(op.table, op.recordId);
    results[index] = { ...results[index], ...outcome.result };
    const previous = states.get(sk);
    if (previous && outcome.result.server_seq !== undefined) superseded.push(previous.seq);
    if (outcome.state) states.set(sk, outcome.state);
  };
  try {
    for (const round of rounds) {
      const writes: { op: Operation; index: number }[] = [];
      for (const index of round) {
        const op = parsed[index] as Operation;
        const current = states.get(recordKey(op.table, op.recordId));
        const decision = decide(op, current);
        if (decision === 'write') writes.push({ op, index });
        else record(index, settled(op, decision, current));
      }
      await pool.reserve(writes.length);
      await mapLimit(chunksOf(writes), WRITE_CONCURRENCY, async (chunk) => {
        const outcomes = await applyChunk(scope, chunk, states, pool);
        chunk.forEach(({ index }, j) => {
          record(index, outcomes[j]);
        });
      });
    }
  } finally {
    await pool.voidUnused();
  }
  await pool.advanceHint();

  const tables = new Set<MemoryTable>();
  results.forEach((r, i) => {
    if (r.server_seq !== undefined) tables.add((parsed[i] as Operation).table);
  });
  await recordPush(scope, new Date());
  // compacting twice as many changes as were written keeps up with any write rate
  if (tables.size)
    await compactLog(scope.pk, Math.max(COMPACTION_MIN_BUDGET, 2 * results.filter((r) => r.server_seq !== undefined).length), superseded);
  return {
    pushed: results.filter((r) => r.status === 'synced').length,
    failed: results.filter((r) => r.status === 'error').length,
    conflicts: results.filter((r) => r.status === 'conflict').length,
    remaining: rawOperations.length - batch.length,
    results,
    tables: [...tables],
  };
}

async function recordPush(scope: ScopeRef, at: Date): Promise<void> {
  await recordTimes(scope.pk, scope.device, { last_push: at.toISOString() });
}
