import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { withLogContext } from './log-context';
import { logger, metrics, tracingMiddleware } from './observability';

/**
 * Background work (schedules, stream consumers, custom resources) gets the same Powertools stack as
 * an HTTP handler: logger with the Lambda context, metrics flushed per invocation, tracer where
 * tracing is on. Every log line names the job in `route` (`job <name>`), and `tenant` where the
 * work knows whose data it touches (`withTenant`, per record: records may run concurrently).
 */
export type JobHandler<E, R> = ((event: E, context: Context) => Promise<R>) & { job: string };

export const jobRoute = (name: string): string => `job ${name}`;

export function jobHandler<E, R>(name: string, fn: (event: E, context: Context) => Promise<R>): JobHandler<E, R> {
  const core = (event: E, context: Context): Promise<R> =>
    withLogContext({ route: jobRoute(name), tenant: '-' }, async () => {
      try {
        const result = await fn(event, context);
        metrics.addMetric('JobSucceeded', MetricUnit.Count, 1);
        return result;
      } catch (error) {
        metrics.addMetric('JobFailed', MetricUnit.Count, 1);
        logger.error('job failed', { error: error as Error });
        throw error;
      }
    });
  const stack = middy(core);
  const tracing = tracingMiddleware();
  if (tracing) stack.use(tracing);
  const handler = stack.use(injectLambdaContext(logger)).use(logMetrics(metrics)) as unknown as JobHandler<E, R>;
  handler.job = name;
  return handler;
}

/** Runs `fn` with `tenant` on every log line it writes (the rest of the job keeps its own). */
export const withTenant = <T>(tenant: string, fn: () => Promise<T>): Promise<T> => withLogContext({ tenant }, fn);
