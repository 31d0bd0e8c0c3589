import type { Context } from 'aws-lambda';
import type { Route } from '../../routes';
import type { HttpEvent, HttpResult } from '../../kit/http';

/**
 * Runs a route's handler on an event, as API Gateway would after its authorizer: in AWS by invoking
 * the route's own function (with its own least-privilege grants, network and file system), locally
 * in this process.
 */
export type RouteInvoker = (route: Route, event: HttpEvent, context: Context) => Promise<HttpResult>;
