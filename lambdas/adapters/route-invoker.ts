import type { Context } from 'aws-lambda';
import type { Route } from '../../lib/routes';
import { config } from '../kit/config';
import type { HttpEvent, HttpResult } from '../kit/http';

/**
 * Runs a route's handler on an event, as API Gateway would after its authorizer: in AWS by invoking
 * the route's own function (with its own least-privilege grants, network and file system), locally
 * in this process.
 */
export type RouteInvoker = (route: Route, event: HttpEvent, context: Context) => Promise<HttpResult>;

let instance: Promise<RouteInvoker> | undefined;

/** Created once per process; the AWS client is loaded only where it is used. */
export function routeInvoker(): Promise<RouteInvoker> {
  instance ??= config.routeFunctions
    ? import('./lambda-route-invoker').then((m) => m.lambdaRouteInvoker(config.routeFunctions as Record<string, string>))
    : import('./local-route-invoker').then((m) => m.localRouteInvoker);
  return instance;
}
