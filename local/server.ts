import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyStructuredResultV2, APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { ROUTES, functionName, type Route } from '../lambdas/routes';
import { buildEvent, compileRoutes, matchRoute, type CompiledRoute } from '../lambdas/kit/gateway';
import type { HttpEvent } from '../lambdas/kit/http';
import { loadHandler } from '../lambdas/adapters/route-invoker/local';
import { AuthorizerCache } from './authorizer-cache';

export { buildEvent, compileRoutes, matchRoute, loadHandler };

/**
 * The API Gateway of the local runtime: matches a request against the route table, builds
 * the HTTP API payload 2.0 event, runs the real authorizer, then the real handler.
 */

/** API Gateway's own limit on a request body. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

export function lambdaContext(route: Route | undefined, requestId: string): Context {
  const name = route ? functionName(route) : 'Authorizer';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function authorize(event: HttpEvent, route: Route, cache: AuthorizerCache): Promise<APIGatewayProxyStructuredResultV2 | undefined> {
  const header = event.headers.authorization;
  // API Gateway answers 401 itself when the identity source (the Authorization header) is absent
  if (!header) return { statusCode: 401, body: JSON.stringify({ message: 'Unauthorized' }) };
  const cached = cache.get(header);
  if (cached) {
    event.requestContext.authorizer = { lambda: cached };
    return undefined;
  }
  const authorizer = loadHandler('auth/authorize-request') as unknown as (
    e: APIGatewayRequestAuthorizerEventV2,
  ) => Promise<{ isAuthorized: boolean; context: Record<string, string> }>;
  const result = await authorizer({
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${route.method}${route.path}`,
    identitySource: [header],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    headers: event.headers,
    requestContext: event.requestContext,
  } as unknown as APIGatewayRequestAuthorizerEventV2);
  if (!result.isAuthorized) return { statusCode: 403, body: JSON.stringify({ message: 'Forbidden' }) };
  cache.allow(header, result.context);
  event.requestContext.authorizer = { lambda: result.context };
  return undefined;
}

/**
 * The body, or 'too-large' once it is over the gateway's limit. The rest is still read (and
 * dropped): leaving it unread, or destroying the request, would leave the connection unusable for
 * the client's next request on it.
 */
async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= GATEWAY_MAX_BODY) chunks.push(chunk as Buffer);
  }
  return size > GATEWAY_MAX_BODY ? 'too-large' : Buffer.concat(chunks);
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const body =
    result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
  if (!body) delete headers['content-type'];
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

async function handle(table: CompiledRoute[], cache: AuthorizerCache, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const method = (req.method ?? 'GET').toUpperCase();
  const match = matchRoute(table, method, url.pathname);
  if ('malformed' in match) return send(res, { statusCode: 400, body: JSON.stringify({ message: 'Bad Request' }) });
  if (!('route' in match) || !match.route) {
    return send(res, { statusCode: 404, body: JSON.stringify({ message: 'Not Found' }) });
  }
  const body = await readBody(req);
  if (body === 'too-large') return send(res, { statusCode: 413, body: JSON.stringify({ message: 'Request Entity Too Large' }) });
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers))
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(',') : value;
  const event = buildEvent({ method, url: req.url ?? '/', headers, body }, match.route, match.params);
  if (match.route.auth) {
    const refusal = await authorize(event, match.route, cache);
    if (refusal) return send(res, refusal);
  }
  const result = await loadHandler(match.route.handler)(event, lambdaContext(match.route, event.requestContext.requestId));
  send(res, result);
}

/**
 * A request Node cannot parse (a malformed request line or header, headers too large) never
 * reaches `handle`: answer it as API Gateway does, with its JSON body, instead of Node's empty 400.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
  const [status, message] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves the route table; the environment (tables, bucket, endpoints) must be set before the first request. */
export async function startServer(options: { port?: number; host?: string; routes?: Route[] } = {}): Promise<RunningServer> {
  const table = compileRoutes(options.routes ?? ROUTES);
  const cache = new AuthorizerCache();
  const server = createServer((req, res) => {
    handle(table, cache, req, res).catch((error: Error) => {
      console.error('local gateway error', error);
      if (!res.headersSent) send(res, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
      else res.destroy();
    });
  });
  server.on('clientError', answerUnparsable);
  server.keepAliveTimeout = 65000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
