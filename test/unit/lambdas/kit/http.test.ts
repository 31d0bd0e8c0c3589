import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { contract } from '../../../../lambdas/contracts/contract';
import type { HttpEvent } from '../../../../lambdas/kit/http';
import { Reply } from '../../../../lambdas/kit/reply';

// what the lines and metrics look like in Lambda, whatever the environment of the run (the integration setup quiets both)
Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_TRACE_ENABLED: 'false' });
const { httpHandler } = require('../../../../lambdas/kit/http') as typeof import('../../../../lambdas/kit/http');
const { logger } = require('../../../../lambdas/kit/observability') as typeof import('../../../../lambdas/kit/observability');

const context = { functionName: 'Fn', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const event = (routeKey: string, tenant?: string): HttpEvent =>
  ({
    version: '2.0',
    routeKey,
    rawPath: '/x',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      routeKey,
      authorizer: { lambda: tenant ? { tenant, keyId: 'k1', surfaces: 'memory', agent: '' } : {} },
    },
  }) as unknown as HttpEvent;

/** Runs `fn`, returning what it wrote to stdout and stderr as parsed JSON lines. */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((s) =>
    jest.spyOn(s, 'write').mockImplementation(((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as never),
  );
  try {
    const result = await fn();
    return {
      result,
      lines: written
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const memoryRoute = contract({ surface: 'memory', summary: 'test', response: z.unknown() });
const systemRoute = contract({ surface: 'system', summary: 'test' });

describe('httpHandler', () => {
  it('every line logged while serving names the route and, once the key is known, the tenant', async () => {
    const handler = httpHandler(memoryRoute, async () => {
      logger.info('serving');
      return { ok: true };
    });
    const { result, lines } = await captured(() => handler(event('GET /sync/status', 'tenant-a'), context));
    expect(result.statusCode).toBe(200);
    expect(lines.find((l) => l.message === 'serving')).toMatchObject({ route: 'GET /sync/status', tenant: 'tenant-a' });
  });

  it('a refused request logs its route with no tenant when there is no key', async () => {
    const handler = httpHandler(memoryRoute, async () => ({}));
    const { result, lines } = await captured(() => handler(event('POST /sync/push'), context));
    expect(result.statusCode).toBe(401);
    expect(lines.find((l) => l.message === 'request refused')).toMatchObject({ route: 'POST /sync/push', tenant: '-', status: 401 });
  });

  it('replies: envelope with top-level fields, JSON as is, raw text as is', async () => {
    const answers = [
      Reply.ok({ n: 1 }, { topLevel: { synced: 1 }, headers: { 'x-a': '1' } }),
      Reply.created({ n: 2 }),
      Reply.json(207, { success: false, data: [] }),
      Reply.raw(200, '<p>hi</p>', { 'content-type': 'text/html' }),
    ];
    const results = [];
    for (const answer of answers) results.push(await httpHandler(memoryRoute, async () => answer)(event('GET /x', 't'), context));
    expect(results.map((r) => [r.statusCode, r.body, r.headers?.['content-type'], r.headers?.['x-a']])).toEqual([
      [200, JSON.stringify({ success: true, data: { n: 1 }, synced: 1 }), 'application/json; charset=utf-8', '1'],
      [201, JSON.stringify({ success: true, data: { n: 2 } }), 'application/json; charset=utf-8', undefined],
      [207, JSON.stringify({ success: false, data: [] }), 'application/json; charset=utf-8', undefined],
      [200, '<p>hi</p>', 'text/html', undefined],
    ]);
    const plain = await httpHandler(systemRoute, async () => ({ status: 'ok' }))(event('GET /health'), context);
    expect([plain.statusCode, plain.body]).toEqual([200, JSON.stringify({ status: 'ok' })]);
  });
});
