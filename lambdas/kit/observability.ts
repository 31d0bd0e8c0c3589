import type { MiddlewareObj } from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { config } from './config';
import { ContextLogFormatter } from './log-context';

/**
 * Powertools singletons; service name, namespace and switches come from POWERTOOLS_* variables.
 * Every log line carries `route` and `tenant` (kit/log-context.ts).
 */
export const logger = new Logger({ serviceName: config.powertoolsServiceName, logFormatter: new ContextLogFormatter() });
export const metrics = new Metrics({ namespace: config.powertoolsMetricsNamespace });

let tracer: import('@aws-lambda-powertools/tracer').Tracer | undefined;

/**
 * The Powertools tracer's middleware, or nothing when tracing is off (POWERTOOLS_TRACE_ENABLED=false,
 * as in the local runtime). Required only when needed: loading aws-xray-sdk-core installs an
 * async hook (cls-hooked) that tracks every promise of the process, which cost the local runtime
 * ~10% of its CPU under load.
 */
export function tracingMiddleware(): MiddlewareObj | undefined {
  if (!config.tracingEnabled) return undefined;
  const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  const { captureLambdaHandler } =
    require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware');
  tracer ??= new Tracer({ serviceName: config.powertoolsServiceName });
  return captureLambdaHandler(tracer, { captureResponse: false });
}
