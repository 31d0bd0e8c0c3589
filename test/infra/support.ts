import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSatchel } from '../../lib/app';
import { PROJECT_ROOT } from '../../lib/constructs/satchel-function';
import { AUTHORIZER_HANDLER, VECTOR_INDEX_HANDLER, type FunctionTables } from '../../lib/functions';
import { JOBS, type Job } from '../../lib/jobs';
import { ROUTES, type Route } from '../../lib/routes';
import type { SatchelApiStack } from '../../lib/stateless-stack';
import * as system from '../../lambdas/system/contracts';

/**
 * Rows that exercise every kind of access (search, embed, sandbox, stream and schedule jobs), added to
 * the real tables: the surfaces' own rows may not be on this branch yet, and the stack must handle them.
 */
export const FIXTURE_ROUTES: Route[] = [
  {
    method: 'POST', path: '/fixture/search', handler: 'items/fixture-search', contract: system.health, auth: true,
    access: { tables: { manifests: 'read' }, bucket: 'read', search: 'read', embed: true },
  },
  {
    method: 'POST', path: '/fixture/items', handler: 'items/fixture-add', contract: system.health, auth: true,
    access: { tables: { manifests: 'write' }, bucket: 'write', search: 'write', embed: true },
  },
  {
    method: 'POST', path: '/fixture/deployments/{id}/sync', handler: 'files/fixture-sync', contract: system.health, auth: true,
    access: { tables: { deployments: 'read' }, bucket: 'read', sandbox: true },
  },
];
export const FIXTURE_JOBS: Job[] = [
  {
    handler: 'items/fixture-expire', description: 'fixture stream consumer', trigger: { stream: 'manifests', filters: [{ eventName: ['REMOVE'] }], batchSize: 10 },
    access: { tables: { manifests: 'write' }, bucket: 'write', search: 'write' },
  },
  {
    handler: 'files/fixture-sweep', description: 'fixture schedule', trigger: { schedule: 'rate(5 minutes)' },
    access: { tables: { deployments: 'write' } },
  },
];
export const TABLES_UNDER_TEST: FunctionTables = {
  routes: [...ROUTES, ...FIXTURE_ROUTES],
  jobs: [...JOBS, ...FIXTURE_JOBS],
};

let stubRoot: string | undefined;

/**
 * A lambdas/ tree with an empty module for every handler the app references. Bundling is skipped in
 * these tests (the code is never read), and other engineers' handler files may not be on this branch.
 */
function stubLambdas(tables: FunctionTables): string {
  // Under the project root (NodejsFunction requires it); node_modules is ignored by git.
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  stubRoot ??= mkdtempSync(join(cache, 'satchel-infra-stubs-'));
  const { routes, jobs } = tables;
  const handlers = [...routes.map((r) => r.handler), ...jobs.map((j) => j.handler), AUTHORIZER_HANDLER, VECTOR_INDEX_HANDLER];
  for (const handler of handlers) {
    const file = join(stubRoot, `${handler}.ts`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'export const handler = async () => ({});\n');
  }
  return stubRoot;
}

/** Call in `afterAll` of a file that used `buildApp`. */
export function removeStubs(): void {
  if (stubRoot) rmSync(stubRoot, { recursive: true, force: true });
  stubRoot = undefined;
}

/** Builds both stacks over the real rows + the fixtures (or `tables`), bundling skipped; `context` adds CDK context options. */
export function buildApp(context: Record<string, string> = {}, tables: FunctionTables = TABLES_UNDER_TEST) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true, ...context } });
  const built = buildSatchel(app, { lambdasRoot: stubLambdas(tables), functionTables: tables });
  return { app, ...built };
}

export type Resources = Record<string, {
  Type: string; Properties: Record<string, any>; DeletionPolicy?: string; DependsOn?: string[]; Metadata?: Record<string, string>;
}>;

/** The API stack and each of its surface stacks, by construct path (`SatchelApi`, `SatchelApi/ItemsSurface`, …). */
export function apiTemplates(api: SatchelApiStack): Map<string, Template> {
  return new Map([
    [api.node.path, Template.fromStack(api)],
    ...[...api.surfaces.values()].map((surface): [string, Template] => [surface.node.path, Template.fromStack(surface)]),
  ]);
}

/** Every resource of the API stack and its surface stacks (logical ids are unique enough across them for tests). */
export function allResources(templates: Iterable<Template>): Resources {
  return Object.assign({}, ...[...templates].map((t) => t.toJSON().Resources as Resources));
}
