import { expireUnconfirmedUploads, listObjects } from '../../local/upload-expiry';

const DAY_MS = 86400 * 1000;

/** Every key of the local bucket under a prefix. */
export const keysUnder = async (prefix: string) => (await listObjects(prefix)).map((o) => o.Key as string);

/** What S3's lifecycle does two days from now, for one tenant's keys: the keys it removes. */
export const twoDaysLater = (tenant: string) => expireUnconfirmedUploads({ now: new Date(Date.now() + 2 * DAY_MS), tenant });
