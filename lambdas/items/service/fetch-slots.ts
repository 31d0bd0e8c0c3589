import { config } from '../../kit/config';
import { tooManyRequests } from '../../kit/errors';
import { claimSlot, releaseSlot, type SlotPool } from '../../kit/slots';

/** Each `fileUrl` item accepted for background fetching holds one of its tenant's slots until it is fetched, fails or goes. */
const pool = (): SlotPool => ({ table: config.tableName('manifests'), kind: 'fetches', cap: config.maxPendingFetches });

/** Seconds a client is told to wait when every slot is held: background fetches usually end within this. */
const RETRY_AFTER_SECONDS = 30;

export async function claimFetchSlot(tenant: string, itemId: string, expiresAt: number): Promise<void> {
  const claim = await claimSlot(pool(), tenant, itemId, expiresAt);
  if (!claim.claimed) {
    throw tooManyRequests(
      `This tenant already has ${config.maxPendingFetches} fileUrl items waiting to be fetched, the most it may have at once; try again when some are ready (status endpoint), or send smaller files inline`,
      Math.min(RETRY_AFTER_SECONDS, claim.freeInSeconds),
      'QUOTA_EXCEEDED',
    );
  }
}

export const releaseFetchSlot = (tenant: string, itemId: string): Promise<void> => releaseSlot(pool(), tenant, itemId);
