/**
 * Time, waiting and retry pacing, in one place so tests can inject a clock and seeded randomness
 * instead of racing the real one.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** Waits `ms` milliseconds of real time. */
export const sleep = (ms: number): Promise<void> => systemClock.sleep(ms);

/** Epoch seconds (with fractions), the unit of DynamoDB TTL attributes. */
export const nowSeconds = (clock: Pick<Clock, 'now'> = systemClock): number => clock.now() / 1000;

/** ISO 8601 timestamp in UTC, the form the APIs send. */
export const isoNow = (clock: Pick<Clock, 'now'> = systemClock): string => new Date(clock.now()).toISOString();

export interface Backoff {
  /** Delay before the first retry's cap doubles, ms. */
  baseMs: number;
  /** No delay exceeds this, ms. */
  capMs: number;
}

/**
 * "Full jitter" backoff: before retry `attempt` (0 = the first retry) wait a uniformly random time
 * in [0, min(cap, base * 2^attempt)). Spreads clients that failed together so they do not retry in
 * lock step. `random` in [0, 1) (inject a seeded one in tests).
 */
export function backoffDelay(attempt: number, { baseMs, capMs }: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/** Waits the backoff delay of `attempt`. */
export const backoff = (attempt: number, policy: Backoff, clock: Clock = systemClock, random: () => number = Math.random): Promise<void> =>
  clock.sleep(backoffDelay(attempt, policy, random));
