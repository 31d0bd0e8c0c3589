import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLimit } from '../../lambdas/shared/map-limit';
import { startTestApi, type TestApi } from '../support/api';
import {
  allVariants,
  answerProblem,
  baseline,
  chooseVariants,
  FUZZ_SEED,
  operations,
  random,
  send,
  type Operation,
} from '../support/generated';
import { seedTenant, type TenantFixture } from '../support/tenant-fixture';

/**
 * Generated from the route table: every operation gets a valid baseline (schema samples, aimed at a
 * seeded tenant's real data) and hostile variants of it; every answer must be below 500, a 4xx in
 * the surface's error envelope (or API Gateway's own `{ message }`), and show nothing internal.
 * Seed and budget: SATCHEL_FUZZ_SEED, SATCHEL_FUZZ_CASES (docs/api.md "Generated tests").
 */

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-fuzz-'));

let api: TestApi;
let fixture: TenantFixture;
beforeAll(async () => {
  api = await startTestApi();
  fixture = await seedTenant(api, 'fuzzer');
}, 120_000);
afterAll(() => api.close());

const OPERATIONS = operations();

describe.each(OPERATIONS.map((op, index) => [op.name, op, index] as const))('%s', (_name, op: Operation, index: number) => {
  it('answers every hostile variant below 500, in its envelope, showing nothing internal', async () => {
    const rng = random(FUZZ_SEED * 1000 + index);
    const headers: Record<string, string> = op.route.auth ? { authorization: `Bearer ${fixture.agentKey}` } : {};
    const { spec } = baseline(op, fixture.hints);
    const cases = [{ label: 'baseline', spec }, ...chooseVariants(allVariants(op, spec), rng)];
    const problems = (
      await mapLimit(cases, 4, async (c) => {
        const problem = answerProblem(op, await send(api.url, op, c.spec, headers));
        return problem && `${c.label}: ${problem}`;
      })
    ).filter(Boolean);
    expect(problems).toEqual([]);
  });
});
