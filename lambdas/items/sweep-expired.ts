import { jobHandler } from '../kit/job';
import { sweepExpired } from './expiry';

/** Scheduled: removes expired items (entry, bytes, index documents) that DynamoDB's TTL has not deleted yet. */
export const handler = jobHandler('items/sweep-expired', async () => ({ removed: await sweepExpired() }));
