import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './aws';
import { isConditionFailure } from './errors';

/**
 * Per-tenant caps as numbered slots. The slots of one kind of a tenant live in one partition
 * (`T#<tenant>#SLOTS#<kind>`, sort keys `0` … `cap-1`), each held by one holder until it is released
 * or its `expiresAt` (epoch seconds) passes, so a holder that dies frees its slot in the end. A claim
 * reads the partition once and takes a free slot with a conditional put: concurrent claims can
 * never hold more than `cap` slots, whatever their timing.
 */
export interface SlotPool {
  table: string;
  kind: string;
  cap: number;
}

interface SlotItem {
  pk: string;
  sk: string;
  holder: string;
  expiresAt: number;
}

const slotsPk = (pool: SlotPool, tenant: string) => `T#${tenant}#SLOTS#${pool.kind}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function heldSlots(pool: SlotPool, tenant: string): Promise<SlotItem[]> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: pool.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': slotsPk(pool, tenant) },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []) as SlotItem[];
}

export type Claim = { claimed: true } | { claimed: false /** Seconds until the first held slot expires. */; freeInSeconds: number };

/** Takes a free slot for `holder` until `expiresAt`; claiming again for the same holder keeps its slot. */
export async function claimSlot(pool: SlotPool, tenant: string, holder: string, expiresAt: number): Promise<Claim> {
  const now = nowSeconds();
  const live = (await heldSlots(pool, tenant)).filter((slot) => slot.expiresAt > now);
  if (live.some((slot) => slot.holder === holder)) return { claimed: true };
  const taken = new Set(live.map((slot) => slot.sk));
  const free = Array.from({ length: pool.cap }, (_, n) => String(n)).filter((sk) => !taken.has(sk));
  // start at a random free slot: concurrent claimers rarely race for the same one
  const start = Math.floor(Math.random() * free.length);
  for (const sk of [...free.slice(start), ...free.slice(0, start)]) {
    try {
      await documentClient().send(
        new PutCommand({
          TableName: pool.table,
          Item: { pk: slotsPk(pool, tenant), sk, holder, expiresAt } satisfies SlotItem,
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  const firstExpiry = live.length ? Math.min(...live.map((slot) => slot.expiresAt)) : now + 1;
  return { claimed: false, freeInSeconds: Math.max(1, firstExpiry - now) };
}

/** Frees the slot `holder` holds, if any. */
export async function releaseSlot(pool: SlotPool, tenant: string, holder: string): Promise<void> {
  for (const slot of await heldSlots(pool, tenant)) {
    if (slot.holder !== holder) continue;
    try {
      await documentClient().send(
        new DeleteCommand({
          TableName: pool.table,
          Key: { pk: slot.pk, sk: slot.sk },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      // taken over after it expired: no longer ours to free
      if (!isConditionFailure(error)) throw error;
    }
  }
}
