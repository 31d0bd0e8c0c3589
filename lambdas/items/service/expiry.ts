import { logger } from '../../kit/observability';
import { deleteExpiredEntry, EXPIRY_SHARDS, expiredInShard } from './store';
import { discard } from './indexing';
import { nowSeconds } from './scope';

const PAGE = 100;
/** Pages per shard and sweep: bounds one run; what is left waits for the next. */
const MAX_PAGES = 20;

/**
 * Physically removes expired items: each expired entry (found through the sparse itemsByExpiry
 * index) is deleted while it is still that expired generation, then its bytes and index documents.
 * Runs on a schedule in AWS (items/sweep-expired) and on an interval in the local runtime.
 */
export async function sweepExpired(now = nowSeconds()): Promise<number> {
  let removed = 0;
  for (const shard of EXPIRY_SHARDS) {
    for (let page = 0; page < MAX_PAGES; page++) {
      const expired = await expiredInShard(shard, now, PAGE);
      let progressed = false;
      for (const entry of expired) {
        if (await deleteExpiredEntry(entry, now)) {
          await discard(entry);
          removed++;
          progressed = true;
        }
      }
      if (expired.length < PAGE || !progressed) break;
    }
  }
  if (removed) logger.info('expired items removed', { removed });
  return removed;
}
