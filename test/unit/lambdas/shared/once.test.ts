import { once } from '../../../../lambdas/shared/once';

describe('once', () => {
  it("calls the loader on first use only and hands back its first result, a promise's rejection included", async () => {
    let calls = 0;
    const load = once(() => {
      calls++;
      return Promise.resolve({ calls });
    });
    expect(calls).toBe(0);
    const first = load();
    expect(load()).toBe(first);
    expect(await load()).toEqual({ calls: 1 });
    expect(calls).toBe(1);

    const failing = once(() => Promise.reject(new Error('missing module')));
    await expect(failing()).rejects.toThrow('missing module');
    expect(failing()).toBe(failing());
    await failing().catch(() => undefined);
  });
});
