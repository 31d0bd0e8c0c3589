import { config } from '../../kit/config';
import { walkChanges } from './changelog';
import {
  type ChangeItem,
  changeKey,
  deleteItems,
  firstChangeAfter,
  raiseFrontierHint,
  raiseHorizon,
  readHorizon,
  readItems,
  recordKey,
  removeMarksUpTo,
} from './store';
import type { MemoryTable } from '../../contracts/memory';

/**
 * Change-log compaction. Settled changes older than the retention window leave the log when
 * something newer replaced them: a superseded change of a record, a void marker, and a tombstone
 * (its state item stays, so an older write still cannot resurrect the record). What stays is the
 * latest change of every live record plus everything younger than the window, so the log grows
 * with the live records, not with the writes.
 *
 * The horizon H is raised BEFORE anything at or below it is deleted: a walker that meets a
 * missing number re-reads H and steps over it instead of taking it for a gap. A pull that would
 * start below H cannot replay what was removed (a delete, for one) and is answered with a full
 * resync instead (pull.ts).
 */

export interface CompactionResult {
  /** Change items and void markers removed. */
  removed: number;
  horizon: number;
}

/** Sequence number each record's current state holds, and whether it is a tombstone. */
const currentStates = (pk: string, changes: ChangeItem[]) =>
  readItems<{ seq: number; del: boolean }>(pk, [...new Set(changes.map((c) => recordKey(c.tbl as MemoryTable, c.rid!)))], 'sk, seq, del');

/**
 * Removes frontier marks too old to serve any `since` that may still be answered incrementally.
 * Called when a pull writes the mark of a new minute: at most once a minute per agent.
 */
export async function removeOldMarks(pk: string, now = Date.now()): Promise<void> {
  await removeMarksUpTo(pk, new Date(now - config.memoryLogRetentionMs - config.memorySinceMarginMs - 120_000));
}

/**
 * Runs after a push, with the sequence numbers of the changes its writes superseded. Those already
 * behind the horizon were the latest when compaction passed them and it will not come back: they
 * are removed here (the horizon is read after the writes committed, see compactLog's order). Then
 * at most `budget` change items after the horizon are compacted, oldest first (bounded work, so a
 * push can afford it), stopping at the first change younger than the retention window or at a gap
 * that may still fill.
 */
export async function compactLog(pk: string, budget: number, superseded: number[] = [], now = Date.now()): Promise<CompactionResult> {
  const cutoff = now - config.memoryLogRetentionMs;
  const horizon = await readHorizon(pk);
  const behind = superseded.filter((seq) => seq > 0 && seq <= horizon).map((seq) => ({ pk, sk: changeKey(seq) }));
  const [first] = await Promise.all([firstChangeAfter(pk, horizon), deleteItems(behind)]);
  // the usual case on a push: nothing is old enough yet, and one item read says so
  if (!first || first.at > cutoff) return { removed: behind.length, horizon };
  const walk = await walkChanges(pk, {
    after: horizon,
    maxChanges: budget,
    maxBytes: Infinity,
    fields: 'identity',
    includeVoids: true,
    stopBefore: (item) => item.at > cutoff,
  });
  if (walk.through <= horizon || !(await raiseHorizon(pk, walk.through))) return { removed: behind.length, horizon };
  await raiseFrontierHint(pk, walk.through);
  // states are read after the horizon moved: a write committed before that read is seen here, a
  // later one reads the new horizon after its commit and removes what it superseded itself
  const states = await currentStates(
    pk,
    walk.changes.filter((c) => !c.void),
  );
  const removable = walk.changes.filter((c) => {
    if (c.void) return true;
    const state = states.get(recordKey(c.tbl as MemoryTable, c.rid!));
    return !state || state.seq !== c.seq || state.del;
  });
  await deleteItems(removable.map((c) => ({ pk, sk: changeKey(c.seq) })));
  return { removed: behind.length + removable.length, horizon: walk.through };
}
