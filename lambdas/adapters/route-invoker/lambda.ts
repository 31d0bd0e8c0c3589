import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { config } from '../../kit/config';
import type { HttpEvent, HttpResult } from '../../kit/http';
import type { RouteInvoker } from './port';

/**
 * The body travels base64-encoded, as API Gateway sends binary bodies: the payload then grows by a
 * fixed third, while JSON text inside the event's JSON would grow with every quote it escapes, and a
 * synchronous invocation carries at most 6 MB.
 */
function withBase64Body(event: HttpEvent): HttpEvent {
  if (event.body === undefined || event.isBase64Encoded) return event;
  return { ...event, body: Buffer.from(event.body, 'utf8').toString('base64'), isBase64Encoded: true };
}

/** Invokes the route's own function synchronously with the event; `functions` maps handler modules to function names. */
export function lambdaRouteInvoker(functions: Record<string, string>, client = new LambdaClient({ region: config.region })): RouteInvoker {
  return async (route, event) => {
    const name = functions[route.handler];
    if (!name) throw new Error(`No function is configured for ${route.handler} (SATCHEL_ROUTE_FUNCTIONS)`);
    const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(withBase64Body(event))) }));
    const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    // the function crashed or timed out: what API Gateway answers with a 500
    if (out.FunctionError) throw new Error(`${name} failed (${out.FunctionError}): ${payload.slice(0, 500)}`);
    return JSON.parse(payload) as HttpResult;
  };
}
