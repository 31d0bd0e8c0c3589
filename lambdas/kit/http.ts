import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { authFromEvent, requireSurface, type AuthContext, type AuthorizerContext } from './auth-context';
import { config } from './config';
import type { BodyOf, Contract, ParamsOf, QueryOf } from '../contracts/contract';
import { AppError, badRequest, tooLarge } from './errors';
import { setLogTenant, withLogContext } from './log-context';
import { logger, metrics, tracingMiddleware } from './observability';
import { Reply } from './reply';
import { tooDeepAt } from '../shared/storable';
import { ENVELOPES } from './surfaces';

export type HttpEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<Partial<AuthorizerContext>>;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface Request<C extends Contract> {
  params: ParamsOf<C>;
  query: QueryOf<C>;
  body: BodyOf<C>;
  /** Present on every route behind the authorizer. */
  auth: AuthContext;
  requestId: string;
  headers: Record<string, string | undefined>;
  /** The Lambda context, for handlers that run other routes' handlers (POST /mcp). */
  context: Context;
}

export type Handler<C extends Contract> = (request: Request<C>) => Promise<unknown>;

export type LambdaHandler = ((event: HttpEvent, context: Context) => Promise<HttpResult>) & { contract: Contract };

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function describeIssue(where: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? `${where}.${issue.path.map(String).join('.')}` : where;
  return `${path}: ${issue.message}`;
}

function validate<S extends z.ZodType | undefined>(where: string, schema: S, value: unknown) {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw badRequest(
      result.error.issues
        .slice(0, 5)
        .map((i) => describeIssue(where, i))
        .join('; '),
    );
  }
  return result.data;
}

/**
 * Deeper than any request needs (what DynamoDB stores nests 32 levels; an MCP call wraps a route's
 * body in a few more): refused before validation, so no schema, library or serializer recurses
 * into a body nested thousands of levels deep.
 */
export const MAX_BODY_NESTING = 64;

function readBody(event: HttpEvent, limit: number, maxNesting: number): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > limit) throw tooLarge(`Request body is ${raw.length} bytes; the limit is ${limit} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw badRequest(`Request body is not valid JSON: ${(error as Error).message}`);
  }
  const deep = Number.isFinite(maxNesting) ? tooDeepAt(body, maxNesting) : undefined;
  if (deep) throw badRequest(`${['body', ...deep].join('.')}: nests objects and arrays more than ${maxNesting} levels deep`);
  return body;
}

/**
 * Wraps an endpoint function in the middy stack every function shares: Powertools logger,
 * tracer and metrics, then parsing, validation against the contract, the surface's
 * envelope, and the mapping of errors to status codes.
 */
export function httpHandler<const C extends Contract>(c: C, fn: Handler<C>): LambdaHandler {
  const envelope = ENVELOPES[c.surface];
  const answer = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    try {
      const auth = authFromEvent(event);
      if (auth) setLogTenant(auth.tenant);
      if (c.surface !== 'system') {
        if (!auth) throw new AppError(401, 'UNAUTHORIZED', 'Missing or invalid API key');
        if (c.surface !== 'mcp') requireSurface(auth, c.surface);
      }
      const request = {
        // HTTP APIs hand over path parameters already percent-decoded
        params: validate('path', c.params, event.pathParameters ?? {}),
        query: validate('query', c.query, event.queryStringParameters ?? {}),
        body: validate(
          'body',
          c.body,
          c.body ? readBody(event, c.maxBodyBytes ?? config.maxBodyBytes, c.maxBodyNesting ?? MAX_BODY_NESTING) : undefined,
        ),
        auth: auth as AuthContext,
        requestId,
        headers: event.headers ?? {},
        context,
      } as Request<C>;
      const result = await fn(request);
      if (result instanceof Reply) {
        if (result.kind === 'raw') return { statusCode: result.status, headers: result.headers, body: result.body as string };
        if (result.kind === 'json') return respond(result.status, result.body, result.headers);
        const body = result.body === undefined ? undefined : { ...(envelope.success(result.body) as object), ...result.topLevel };
        return respond(result.status, body, result.headers);
      }
      const status = c.successStatus ?? 200;
      return respond(status, status === 204 ? undefined : envelope.success(result));
    } catch (error) {
      if (error instanceof AppError && error.status < 500) {
        logger.info('request refused', { status: error.status, code: error.code, reason: error.message });
        return respond(error.status, envelope.error(error, requestId), error.headers);
      }
      logger.error('request failed', { requestId, error: error as Error });
      const failure = error instanceof AppError ? error : new AppError(500, 'INTERNAL_ERROR', `Internal error (request id ${requestId})`);
      return respond(failure.status, envelope.error(failure, requestId), failure.headers);
    }
  };
  // every line logged while the request is served names its route, and its tenant once the key is known
  const core = (event: HttpEvent, context: Context): Promise<HttpResult> =>
    withLogContext({ route: event.routeKey ?? '-', tenant: '-' }, async () => {
      const result = await answer(event, context);
      const status = result.statusCode ?? 200;
      metrics.addMetric(status >= 500 ? 'ServerError' : status >= 400 ? 'ClientError' : 'Success', MetricUnit.Count, 1);
      return result;
    });
  const stack = middy(core);
  const tracing = tracingMiddleware();
  if (tracing) stack.use(tracing);
  const handler = stack.use(injectLambdaContext(logger)).use(logMetrics(metrics)) as unknown as LambdaHandler;
  handler.contract = c;
  return handler;
}

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  if (body === undefined) return { statusCode, headers };
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}
