import { config } from '../../kit/config';
import {
  type ChangeItem,
  changeKey,
  changePages,
  raiseFrontierHint,
  readChange,
  readFrontierHint,
  readHorizon,
  voidSequence,
} from './store';
import { sleep } from '../../shared/time';

/**
 * The per-agent change log and the guarantee pulls rely on.
 *
 * A writer takes sequence numbers from the agent's counter (atomic ADD), then writes the record's
 * state item and the change item `C#<seq>` in ONE transaction, the change item under
 * `attribute_not_exists`. A number taken but not (yet) used leaves a gap in the log. Every gap
 * ends in exactly one of two ways, decided by DynamoDB's conditional write on `C#<seq>`:
 *   - the writer's transaction commits the change, or
 *   - someone writes a void marker there first: the writer itself when its write lost (LWW) or
 *     was not needed, or a puller that found the gap older than config.memoryGapGraceMs behind a later
 *     committed change (the writer then fails its condition and retries with a new number).
 * So a sequence number carries at most one change, ever, and once a puller has passed it
 * (committed or void) it can never fill later. Pullers return changes strictly in sequence order
 * and stop at the first gap they may not void: nothing behind the cursor can appear afterwards,
 * hence no miss, and the cursor makes every change come back once, hence no duplicate.
 *
 * Compaction (compaction.ts) removes old change items at or below the agent's horizon; a missing
 * number there is no gap, and a walk steps over it.
 */

/** How long a pull waits on a young gap before answering with what it has (has_more = true). */
const GAP_WAIT_MS = 1_500;
const GAP_POLL_MS = 50;

/**
 * Settles the gap at `seq`, which a committed change `later` follows: waits briefly for the
 * writer, voids the number once the gap is old enough. Returns the item now at `seq` (a change or
 * a void marker), or undefined when the gap is still legitimately open.
 */
async function settleGap(pk: string, seq: number, later: ChangeItem, wait: boolean): Promise<ChangeItem | undefined> {
  const deadline = Date.now() + (wait ? GAP_WAIT_MS : 0);
  for (;;) {
    if (Date.now() - later.at > config.memoryGapGraceMs) {
      if (await voidSequence(pk, seq)) return { pk, sk: changeKey(seq), seq, at: Date.now(), void: true };
      return readChange(pk, seq);
    }
    const found = await readChange(pk, seq);
    if (found || Date.now() >= deadline) return found;
    await sleep(GAP_POLL_MS);
  }
}

export interface WalkOptions {
  /** Return changes with sequence > after. */
  after: number;
  /** Stop after this many changes. */
  maxChanges: number;
  /** Stop once the changes' data add up to this many bytes. */
  maxBytes: number;
  /** What to read of each change: everything (pulls), its keys (frontier walks), or which record it is (compaction). */
  fields?: 'record' | 'keys' | 'identity';
  /** Return void markers as well (compaction removes them). */
  includeVoids?: boolean;
  /** Stop before the first item for which this is true (compaction stops at young changes). */
  stopBefore?: (item: ChangeItem) => boolean;
  /** Wait briefly for young gaps (pulls) instead of stopping at once (frontier walks). */
  waitOnGaps?: boolean;
}

export interface WalkResult {
  changes: ChangeItem[];
  /** Every sequence number up to here is settled and its change (if any) is in `changes` or before `after`. */
  through: number;
  /** Stopped on a limit or an open gap; a later walk from `through` may return more. */
  hasMore: boolean;
}

/** Reads the change log in sequence order from `after`, stopping at the first gap that may still fill. */
export async function walkChanges(pk: string, options: WalkOptions): Promise<WalkResult> {
  const changes: ChangeItem[] = [];
  let expected = options.after + 1;
  let bytes = 0;
  let horizon: number | undefined;
  const fields = options.fields ?? 'record';
  const full = () => changes.length >= options.maxChanges || bytes >= options.maxBytes;
  const take = (item: ChangeItem) => {
    if (!item.void || options.includeVoids) {
      changes.push(item);
      bytes += (item.data?.length ?? 0) + 200;
    }
    expected = item.seq + 1;
  };
  /** Numbers up to the horizon were settled before compaction removed their items. */
  const compacted = async (seq: number): Promise<boolean> => {
    if (horizon !== undefined && seq <= horizon) return true;
    horizon = await readHorizon(pk);
    return seq <= horizon;
  };
  const log = changePages(pk, options.after, fields, () => Math.min(1000, options.maxChanges - changes.length + 50));
  for await (const page of log) {
    for (const item of page.items) {
      if (full() || options.stopBefore?.(item)) return { changes, through: expected - 1, hasMore: true };
      if (item.seq > expected && (await compacted(expected))) expected = Math.min(item.seq, horizon! + 1);
      while (item.seq > expected) {
        const settled = await settleGap(pk, expected, item, options.waitOnGaps ?? false);
        if (!settled) return { changes, through: expected - 1, hasMore: true };
        take(settled);
        if (full()) return { changes, through: expected - 1, hasMore: true };
      }
      take(item);
    }
    if (full()) return { changes, through: expected - 1, hasMore: page.lastKey !== undefined };
  }
  return { changes, through: expected - 1, hasMore: false };
}

/** The highest sequence whose predecessors are all settled, walking forward from the hint. */
export async function settledFrontier(pk: string): Promise<number> {
  let through = await readFrontierHint(pk);
  for (;;) {
    const walk = await walkChanges(pk, { after: through, maxChanges: 10_000, maxBytes: Infinity, fields: 'keys' });
    through = walk.through;
    if (!walk.hasMore || walk.changes.length === 0) break;
  }
  await raiseFrontierHint(pk, through);
  return through;
}

/** Status counts at most this many change items: its work stays constant however long the log is. */
export const STATUS_COUNT_LIMIT = 1000;
