import { config } from '../../kit/config';
import type { RouteInvoker } from './port';

let instance: Promise<RouteInvoker> | undefined;

/** Created once per process; the AWS client is loaded only where it is used. */
export function routeInvoker(): Promise<RouteInvoker> {
  instance ??= config.routeFunctions
    ? import('./lambda').then((m) => m.lambdaRouteInvoker(config.routeFunctions as Record<string, string>))
    : import('./local').then((m) => m.localRouteInvoker);
  return instance;
}
