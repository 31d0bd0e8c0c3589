import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { lambdaRouteInvoker } from '../../../../../lambdas/adapters/route-invoker/lambda';
import type { RouteInvoker } from '../../../../../lambdas/adapters/route-invoker/port';
import type { HttpEvent } from '../../../../../lambdas/kit/http';
import { dispatchingFetch } from '../../../../../lambdas/mcp/service/dispatch';
import { ROUTES } from '../../../../../lambdas/routes';

/**
 * The part of `POST /mcp` that differs in AWS: requests become events of their route's function,
 * invoked through the Lambda API. No Lambda service runs locally, so its answers are scripted here.
 */

const context = { awsRequestId: 'req-1' } as Context;
const auth = { tenant: 'acme', agent: 'coder', surfaces: ['items' as const], keyId: 'key_1' };
const search = ROUTES.find((r) => r.handler === 'items/search-items')!;

function scripted(answer: { Payload?: Uint8Array; FunctionError?: string }) {
  const sent: { FunctionName?: string; Payload?: Uint8Array }[] = [];
  const client = {
    send: async (command: { input: { FunctionName?: string; Payload?: Uint8Array } }) => {
      sent.push(command.input);
      return answer;
    },
  };
  return { sent, client: client as unknown as LambdaClient };
}

it("a request becomes its route's event with the caller's authorizer context, sent to that route's function with the body in base64", async () => {
  const reply = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"results":[],"query":"q","totalResults":0}' };
  const { sent, client } = scripted({ Payload: Buffer.from(JSON.stringify(reply)) });
  const invoke = lambdaRouteInvoker({ 'items/search-items': 'SatchelApi-ItemsSearch-abc' }, client);
  const fetch = dispatchingFetch(auth, invoke, context, 'api.example.com');
  const res = await fetch('https://api.example.com/api/workspace/search', {
    method: 'POST',
    body: '{"query":"q \\"quoted\\""}',
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ results: [], query: 'q', totalResults: 0 });
  expect(sent).toHaveLength(1);
  expect(sent[0].FunctionName).toBe('SatchelApi-ItemsSearch-abc');
  const event = JSON.parse(Buffer.from(sent[0].Payload!).toString('utf8')) as HttpEvent;
  expect(event).toMatchObject({ routeKey: 'POST /api/workspace/search', rawPath: '/api/workspace/search', isBase64Encoded: true });
  expect(Buffer.from(event.body!, 'base64').toString('utf8')).toBe('{"query":"q \\"quoted\\""}');
  expect(event.requestContext.authorizer).toEqual({ lambda: { tenant: 'acme', agent: 'coder', surfaces: 'items', keyId: 'key_1' } });
  expect(event.headers.authorization).toBeUndefined();
});

it('a function that fails (crash, timeout) or has no configured name answers 500, as API Gateway would', async () => {
  const { client } = scripted({ FunctionError: 'Unhandled', Payload: Buffer.from('{"errorMessage":"Task timed out"}') });
  const crashed = dispatchingFetch(auth, lambdaRouteInvoker({ 'items/search-items': 'fn' }, client), context, 'h');
  expect((await crashed('https://h/api/workspace/search', { method: 'POST', body: '{}' })).status).toBe(500);
  const unnamed = dispatchingFetch(auth, lambdaRouteInvoker({}, client), context, 'h');
  const res = await unnamed('https://h/api/workspace/search', { method: 'POST', body: '{}' });
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ message: 'Internal Server Error' });
});

it('routes the tools do not call are not reached at all', async () => {
  const invoked: string[] = [];
  const invoke: RouteInvoker = async (route) => {
    invoked.push(route.handler);
    return { statusCode: 200 };
  };
  const fetch = dispatchingFetch(auth, invoke, context, 'h');
  expect(search).toBeDefined();
  for (const [method, path] of [
    ['DELETE', '/api/workspaces/w1'],
    ['POST', '/api/deployments'],
    ['GET', '/agent/sync/manifest'],
    ['POST', '/mcp'],
  ]) {
    expect((await fetch(`https://h${path}`, { method })).status).toBe(404);
  }
  expect(invoked).toEqual([]);
});
