import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { LOCAL_ONLY_MODULES, PROJECT_ROOT } from '../../lib/constructs/satchel-function';
import { buildApp, removeStubs } from './support';

/** `npx cdk synth` prints nothing a user cannot act on: no unset feature flags, no construct warnings. */
const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const recommended = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json'), 'utf8'),
) as Record<string, unknown>;

/** Flags kept at their old behaviour because they would change a deployed stack (docs/decisions.md). */
const KEPT_OFF = [
  '@aws-cdk/aws-iam:minimizePolicies',
  '@aws-cdk/aws-efs:mountTargetOrderInsensitiveLogicalId',
  '@aws-cdk/aws-ec2:restrictDefaultSecurityGroup',
  '@aws-cdk/aws-iam:importedRoleStackSafeDefaultPolicyName',
];

/** Every template of the app, by stack path. */
function templates(context: Record<string, unknown>): Record<string, unknown> {
  const { app, data, api } = buildApp(context as Record<string, string>);
  app.synth();
  const stacks: Stack[] = [data, api, ...api.surfaces.values()];
  return Object.fromEntries(stacks.map((stack) => [stack.node.path, Template.fromStack(stack).toJSON()]));
}

afterAll(removeStubs);

test('cdk.json sets every feature flag `cdk init` sets, at its recommended value or deliberately off', () => {
  const unset = Object.keys(recommended).filter((flag) => !(flag in cdkJson.context));
  expect(unset).toEqual([]);
  const differing = Object.keys(recommended).filter((flag) => JSON.stringify(cdkJson.context[flag]) !== JSON.stringify(recommended[flag]));
  expect(differing.sort()).toEqual([...KEPT_OFF].sort());
});

test('with the context of cdk.json, no stack carries a warning', () => {
  const { app, data, api } = buildApp(cdkJson.context as Record<string, string>);
  app.synth();
  // the surfaces' nested stacks report through their parent
  for (const stack of [data, api])
    expect([stack.node.path, Annotations.fromStack(stack).findWarning('*', Match.anyValue())]).toEqual([stack.node.path, []]);
});

test('the flags change nothing in the templates of a deployed stack', () => {
  const { '@aws-cdk/core:defaultCrossStackReferences': _kept, ...flags } = cdkJson.context;
  const settings = Object.fromEntries(Object.entries(flags).filter(([name]) => !name.startsWith('@aws-cdk')));
  expect(templates(cdkJson.context)).toEqual(templates(settings));
});

test('swagger-ui-dist is not bundled: the /docs functions get its files copied, and only the local runtime resolves it', () => {
  expect(LOCAL_ONLY_MODULES).toContain('swagger-ui-dist');
});
