import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { config } from '../kit/config';
import type { HttpResult } from '../kit/http';
import type { RouteInvoker } from './route-invoker';

/** Invokes the route's own function synchronously with the event; `functions` maps handler modules to function names. */
export function lambdaRouteInvoker(functions: Record<string, string>, client = new LambdaClient({ region: config.region })): RouteInvoker {
  return async (route, event) => {
    const name = functions[route.handler];
    if (!name) throw new Error(`No function is configured for ${route.handler} (SATCHEL_ROUTE_FUNCTIONS)`);
    const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
    const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    // an unhandled error or timeout of the function: what API Gateway answers as 500
    if (out.FunctionError) throw new Error(`${name} failed (${out.FunctionError}): ${payload.slice(0, 500)}`);
    return JSON.parse(payload) as HttpResult;
  };
}
