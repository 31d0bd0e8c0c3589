import { randomUUID } from 'node:crypto';
import type { Route } from '../routes';
import type { HttpEvent } from './http';

/**
 * What API Gateway does before a function runs, for the local gateway (local/server.ts) and for
 * `POST /mcp`, which hands tool calls to route handlers in process: match a request against the
 * route table, and build the HTTP API payload 2.0 event the handler receives.
 */

export interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
  /** More literal segments first, greedy parameters last: API Gateway picks the most specific route. */
  rank: number[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const segments = route.path.split('/').filter(Boolean);
  const source = segments
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy) {
        names.push(greedy[1]);
        return '/(.+)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        names.push(param[1]);
        return '/([^/]+)';
      }
      return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    })
    .join('');
  const literal = segments.filter((s) => !s.startsWith('{')).length;
  const greedy = segments.some((s) => s.endsWith('+}')) ? 1 : 0;
  return { route, pattern: new RegExp(`^${source || '/'}$`), names, rank: [greedy, -literal, -segments.length] };
}

export function compileRoutes(routes: Route[]): CompiledRoute[] {
  return routes.map(compile).sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.rank[2] - b.rank[2]);
}

export function matchRoute(table: CompiledRoute[], method: string, path: string) {
  let pathMatched = false;
  for (const entry of table) {
    const m = entry.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (entry.route.method !== method) continue;
    const params: Record<string, string> = {};
    // like an HTTP API, hand over path parameters percent-decoded
    try {
      entry.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]);
      });
    } catch {
      return { pathMatched, malformed: true };
    }
    return { route: entry.route, params };
  }
  return { pathMatched };
}

function isText(contentType: string | undefined): boolean {
  return !contentType || /^(text\/|application\/(json|xml|x-www-form-urlencoded|[\w.+-]+\+json))/i.test(contentType);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** API Gateway's `requestContext.time`: `01/Jan/2026:00:00:00 +0000`. */
function gatewayTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** `at` fixes the request id and time, so the sample events in events/ are reproducible. */
export function buildEvent(
  req: { method: string; url: string; headers: Record<string, string>; body?: Buffer },
  route: Route,
  params: Record<string, string>,
  at: { requestId: string; now: Date } = { requestId: randomUUID(), now: new Date() },
): HttpEvent {
  const url = new URL(req.url, 'http://local');
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    query[key] = key in query ? `${query[key]},${value}` : value;
  });
  const now = at.now;
  const text = isText(req.headers['content-type']);
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: req.headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length ? { pathParameters: params } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: (req.headers.host ?? 'localhost').split('.')[0],
      http: {
        method: req.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: at.requestId,
      routeKey,
      stage: '$default',
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
      authorizer: { lambda: {} },
    },
    ...(req.body?.length
      ? { body: text ? req.body.toString('utf8') : req.body.toString('base64'), isBase64Encoded: !text }
      : { isBase64Encoded: false }),
  } as HttpEvent;
}
