import { join } from 'node:path';
import type { LambdaHandler } from '../../kit/http';
import type { RouteInvoker } from './port';

const handlers = new Map<string, LambdaHandler>();

/** A handler module under lambdas/, loaded once (by path: a function bundle never carries the other routes' handlers). */
export function loadHandler(module: string): LambdaHandler {
  let handler = handlers.get(module);
  if (!handler) {
    handler = (require(join(__dirname, '../..', module)) as { handler: LambdaHandler }).handler;
    handlers.set(module, handler);
  }
  return handler;
}

export const localRouteInvoker: RouteInvoker = (route, event, context) => loadHandler(route.handler)(event, context);
