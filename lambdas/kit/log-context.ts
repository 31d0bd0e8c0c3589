import { AsyncLocalStorage } from 'node:async_hooks';
import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Who and what a log line is about: the route (`GET /api/workspaces`, or `job <name>`) and the
 * tenant (`-` until known). Held per async call chain, not on the shared logger, so lines of
 * requests served at once in one process (the local runtime, a job's concurrent records) never
 * carry each other's tenant.
 */
export interface LogContext {
  route: string;
  tenant: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export const currentLogContext = (): LogContext | undefined => storage.getStore();

/** Runs `fn` with `context` (merged over the current one) on every line it logs. */
export function withLogContext<T>(context: Partial<LogContext>, fn: () => T): T {
  const base = storage.getStore() ?? { route: '-', tenant: '-' };
  return storage.run({ ...base, ...context }, fn);
}

/** Sets the tenant for the rest of the current call chain (once the request's key is known). */
export function setLogTenant(tenant: string): void {
  const store = storage.getStore();
  if (store) store.tenant = tenant;
}

/** Powertools' standard JSON keys, plus `route` and `tenant` from the current log context. */
export class ContextLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = storage.getStore();
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_arn: attributes.lambdaContext?.invokedFunctionArn,
        function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
        function_name: attributes.lambdaContext?.functionName,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        route: context?.route ?? '-',
        tenant: context?.tenant ?? '-',
      },
    }).addAttributes(additional);
  }
}
