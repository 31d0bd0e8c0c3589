import { Template } from 'aws-cdk-lib/assertions';
import type { Route } from '../../lambdas/routes';
import { surfaceOf } from '../../lib/surface-stack';
import { LIMITS, expectWithinLimits } from './limits';
import { buildApp, removeStubs, TABLES_UNDER_TEST } from './support';

jest.setTimeout(900_000);

const TARGET_ROUTES = 150;

/**
 * The API as it may grow: 150 routes, the new ones spread over the surfaces like the existing ones
 * (each a copy of a real row of that surface: same access, hence the same grants and environment).
 */
function grownRoutes(): Route[] {
  const base = TABLES_UNDER_TEST.routes;
  const models = base.filter((r) => r.auth);
  const extra = Array.from({ length: TARGET_ROUTES - base.length }, (_, i): Route => {
    const model = models[i % models.length];
    return { ...model, path: `/grown/${i}${model.path}`, handler: `${surfaceOf(model.handler)}/grown-${i}` };
  });
  return [...base, ...extra];
}

let built: ReturnType<typeof buildApp>;
beforeAll(() => {
  built = buildApp({}, { routes: grownRoutes(), jobs: TABLES_UNDER_TEST.jobs });
});
afterAll(removeStubs);

test('an API of 150 routes synthesizes with every stack, template, policy and environment within its AWS limit', () => {
  const routes = [...built.api.surfaces.values()].reduce(
    (n, s) => n + Object.keys(Template.fromStack(s).findResources('AWS::ApiGatewayV2::Route')).length,
    0,
  );
  expect(routes).toBe(TARGET_ROUTES);
  const usage = expectWithinLimits(built.app.synth());
  // the parent stack does not grow with routes: it holds the API, the authorizer and one nested stack per surface
  const parent = usage.find((u) => u.template === 'SatchelApi.template.json' && u.limit === 'resources')!;
  expect(parent.used).toBeLessThan(30);
  expect(Math.max(...usage.filter((u) => u.limit === 'resources').map((u) => u.used))).toBeLessThan(LIMITS.resources.limit);
});
