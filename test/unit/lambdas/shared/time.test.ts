import { backoff, backoffDelay, isoNow, nowSeconds, type Clock } from '../../../../lambdas/shared/time';

/** A clock that only moves when slept on, and records every wait. */
function fakeClock(start = 1_700_000_000_000): Clock & { waits: number[] } {
  let now = start;
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    now += ms;
  };
  return { waits, now: () => now, sleep };
}

describe('time', () => {
  it('reads the injected clock', () => {
    const clock = fakeClock(1_700_000_000_500);
    expect(nowSeconds(clock)).toBe(1_700_000_000.5);
    expect(isoNow(clock)).toBe('2023-11-14T22:13:20.500Z');
  });

  it('backoff: full jitter below a ceiling that doubles per attempt up to the cap', () => {
    const policy = { baseMs: 20, capMs: 1000 };
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, policy, top))).toEqual([19, 39, 79, 159, 319, 639, 999, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(80);
    // a negative attempt is the first one, never a fraction of the base
    expect(backoffDelay(-2, policy, () => 0.5)).toBe(10);
  });

  it('backoff waits on the clock it is given, with the seeded delay', async () => {
    const clock = fakeClock();
    const seeded = [0.25, 0.75, 0.5];
    for (let attempt = 0; attempt < 3; attempt++) await backoff(attempt, { baseMs: 100, capMs: 250 }, clock, () => seeded[attempt]);
    expect(clock.waits).toEqual([25, 150, 125]);
  });
});
