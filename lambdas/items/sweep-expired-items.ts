import { jobHandler } from '../kit/job';
import { sweepExpired } from './service/expiry';

/** Scheduled: removes expired items (entry, bytes, index documents) that DynamoDB's TTL has not deleted yet. */
export const handler = jobHandler('items/sweep-expired-items', async () => ({ removed: await sweepExpired() }));
