import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSatchel } from '../../lib/app';
import { PROJECT_ROOT } from '../../lib/constructs/satchel-function';
import { AUTHORIZER_HANDLER, VECTOR_INDEX_HANDLER, type FunctionTables } from '../../lib/functions';
import { JOBS } from '../../lambdas/jobs';
import { ROUTES } from '../../lambdas/routes';
import type { TableId } from '../../lambdas/kit/data-model';
import type { SatchelApiStack } from '../../lib/stateless-stack';

/**
 * The real route and job tables. Every kind of access the stack wires (table, bucket, search, embed,
 * sandbox, stream and schedule jobs) is among their rows: `stacks.test.ts` checks that it still is.
 */
export const TABLES_UNDER_TEST: FunctionTables = { routes: ROUTES, jobs: JOBS };

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

export type Resources = Record<
  string,
  {
    Type: string;
    Properties: Record<string, any>;
    DeletionPolicy?: string;
    DependsOn?: string[];
    Metadata?: Record<string, string>;
  }
>;

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

/** The logical id of the one resource of `template` at a construct path (`SatchelData/ApiKeysTable/Resource`). */
export function logicalIdAt(template: Template, path: string): string {
  const ids = Object.entries(template.toJSON().Resources as Resources)
    .filter(([, r]) => r.Metadata?.['aws:cdk:path'] === path)
    .map(([id]) => id);
  expect(ids).toEqual([expect.any(String)]);
  return ids[0];
}

/** The data stack's table of a data-model id, as a `Ref` (what its name resolves to). */
export const tableRef = (data: Template, id: TableId) => ({
  Ref: logicalIdAt(data, `SatchelData/${id.charAt(0).toUpperCase()}${id.slice(1)}Table/Resource`),
});

/**
 * `value` with every weak reference to a data stack output (`Fn::GetStackOutput`) replaced by that
 * output's value: what an API stack setting refers to in the data stack (`{ Ref: 'ApiKeysTable…' }`).
 */
export function throughDataOutputs(data: Template, value: unknown): unknown {
  const outputs = data.toJSON().Outputs as Record<string, { Value: unknown }>;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const reference = (v as Record<string, { StackName: string; OutputName: string } | undefined>)['Fn::GetStackOutput'];
    if (!reference) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    expect(reference.StackName).toBe('SatchelData');
    expect(outputs[reference.OutputName]).toBeDefined();
    return outputs[reference.OutputName].Value;
  };
  return walk(value);
}
