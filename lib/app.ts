import { CrossStackReferences, ReferenceStrength, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_FUNCTION_TABLES, type FunctionTables } from './functions';
import { acknowledgeKnownWildcards } from './nag';
import { STACK_NAMES } from './outputs';
import { readSettings } from './settings';
import { SatchelApiStack } from './stateless-stack';
import { SatchelDataStack } from './stateful-stack';

export interface SatchelAppOptions {
  /** Where handler modules live; tests that skip bundling point it at stubs. */
  lambdasRoot?: string;
  /** Route and job rows to deploy (default: lambdas/routes.ts and lambdas/jobs.ts). */
  functionTables?: FunctionTables;
}

/** Both stacks, environment-agnostic (no account or region lookups), checked by cdk-nag's AwsSolutions pack. */
export function buildSatchel(app: App, options: SatchelAppOptions = {}) {
  const settings = readSettings(app.node);
  // Weak references (Fn::GetStackOutput, no exports): nothing the API uses can block an update of the data stack.
  CrossStackReferences.of(app).consume(ReferenceStrength.WEAK);
  const functionTables = options.functionTables ?? DEFAULT_FUNCTION_TABLES;
  const description = 'Satchel: durable storage for AI agents';
  const data = new SatchelDataStack(app, STACK_NAMES.data, {
    settings,
    functionTables,
    lambdasRoot: options.lambdasRoot,
    description: `${description} (data: tables, bucket, vector index, sandbox file system)`,
  });
  const api = new SatchelApiStack(app, STACK_NAMES.api, {
    settings,
    functionTables,
    data,
    lambdasRoot: options.lambdasRoot,
    description: `${description} (HTTP API and functions)`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  acknowledgeKnownWildcards(app);
  return { settings, data, api };
}
