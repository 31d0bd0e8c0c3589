import type { Context } from 'aws-lambda';
import { ROUTES } from '../../routes';
import type { RouteInvoker } from '../../adapters/route-invoker/port';
import type { HttpResult } from '../../kit/http';
import { toAuthorizerContext, type AuthContext } from '../../kit/auth-context';
import { buildEvent, compileRoutes, matchRoute } from '../../kit/gateway';
import { logger } from '../../kit/observability';
import { MCP_TARGETS } from './targets';

const table = compileRoutes(ROUTES.filter((r) => MCP_TARGETS.includes(r.handler)));

/**
 * A `fetch` for the typed SDK that never reaches the network: each request becomes the API Gateway
 * event of its route, carrying the caller's authorizer context, and goes to that route's handler.
 * The handler then validates, scopes and answers exactly as it does for the HTTP API.
 */
export function dispatchingFetch(auth: AuthContext, invoke: RouteInvoker, context: Context, host: string): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const match = matchRoute(table, method, url.pathname);
    if (!('route' in match) || !match.route) {
      return Response.json({ message: `${method} ${url.pathname} is not a route the MCP tools may call` }, { status: 404 });
    }
    const headers: Record<string, string> = { host, 'user-agent': 'satchel-mcp' };
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const body = typeof init?.body === 'string' ? Buffer.from(init.body) : undefined;
    const event = buildEvent({ method, url: url.pathname + url.search, headers, body }, match.route, match.params);
    event.requestContext.authorizer = { lambda: toAuthorizerContext(auth) };
    let result: HttpResult;
    try {
      result = await invoke(match.route, event, context);
    } catch (error) {
      // what API Gateway answers when a function fails: the tool reports an internal error, the log says which
      logger.error('route invocation failed', { route: match.route.handler, error: error as Error });
      return Response.json({ message: 'Internal Server Error' }, { status: 500 });
    }
    const status = result.statusCode ?? 200;
    return new Response(status === 204 ? null : (result.body ?? null), {
      status,
      headers: result.headers as Record<string, string> | undefined,
    });
  };
}
