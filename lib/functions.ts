/**
 * The Lambda functions the app deploys, derived from the route table and the job table: one per row,
 * each with the row's `access`. Both stacks read this list (the data stack makes the vector search
 * clients' roles, the API stack the functions).
 */
import { JOBS, type Job } from '../lambdas/jobs';
import { functionName, ROUTES, type Access, type Route } from '../lambdas/routes';
import type { AccessLevel } from '../lambdas/routes';

/** A function that talks to the index, named like its route or job (`functionName`). */
export interface SearchClient {
  name: string;
  level: AccessLevel;
}

/** Functions that are neither a route nor a job. */
export const AUTHORIZER_HANDLER = 'auth/authorize-request';
export const VECTOR_INDEX_HANDLER = 'custom-resources/create-vector-index';

export interface FunctionSpec {
  /** Construct id and stable name (`functionName`). */
  name: string;
  handler: string;
  description: string;
  access: Access;
}

export const routeFunction = (route: Route): FunctionSpec => ({
  name: functionName(route),
  handler: route.handler,
  description: `Satchel ${route.method} ${route.path}`,
  access: route.access,
});

export const jobFunction = (job: Job): FunctionSpec => ({
  name: functionName(job),
  handler: job.handler,
  description: `Satchel job: ${job.description}`,
  access: job.access,
});

/** The rows the app deploys; tests add rows of their own to exercise every kind of access. */
export interface FunctionTables {
  routes: Route[];
  jobs: Job[];
}

export const DEFAULT_FUNCTION_TABLES: FunctionTables = { routes: ROUTES, jobs: JOBS };

/** The functions that use the vector index, with their access level. */
export function searchClients({ routes, jobs }: FunctionTables): SearchClient[] {
  return [...routes.map(routeFunction), ...jobs.map(jobFunction)].flatMap((fn) =>
    fn.access.search ? [{ name: fn.name, level: fn.access.search }] : [],
  );
}
