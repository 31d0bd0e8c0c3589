import type { Context } from 'aws-lambda';

// what the lines and metrics look like in Lambda, whatever the environment of the run (the integration setup quiets both)
Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_TRACE_ENABLED: 'false' });
const { jobHandler, withTenant } = require('../../../../lambdas/kit/job') as typeof import('../../../../lambdas/kit/job');
const { currentLogContext } = require('../../../../lambdas/kit/log-context') as typeof import('../../../../lambdas/kit/log-context');

const context = {
  functionName: 'ItemsSweepExpiredItems',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:x',
  memoryLimitInMB: '128',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** What the job wrote to stdout: log lines and the metrics flush (EMF), parsed. */
async function run<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation(((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as never);
  const errors = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation(((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as never);
  const log = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void written.push(`${String(line)}\n`));
  try {
    return { result: await fn(), lines: parse(written) };
  } catch (error) {
    return { error, lines: parse(written) };
  } finally {
    write.mockRestore();
    errors.mockRestore();
    log.mockRestore();
  }
}
const parse = (written: string[]) =>
  written
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const metricNames = (lines: Record<string, unknown>[]) =>
  lines.flatMap((l) =>
    ((l._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined)?.CloudWatchMetrics ?? []).flatMap((m) =>
      m.Metrics.map((x) => x.Name),
    ),
  );

describe('jobHandler', () => {
  it('runs the work inside the job’s log context and flushes a success metric', async () => {
    const job = jobHandler('items/sweep-expired-items', async (event: { n: number }) => {
      const outer = currentLogContext();
      const inner = await withTenant('t-9', async () => currentLogContext());
      return { n: event.n, outer, inner, after: currentLogContext() };
    });
    const { result, lines } = await run(() => job({ n: 3 }, context));
    expect(job.job).toBe('items/sweep-expired-items');
    expect(result).toEqual({
      n: 3,
      outer: { route: 'job items/sweep-expired-items', tenant: '-' },
      inner: { route: 'job items/sweep-expired-items', tenant: 't-9' },
      after: { route: 'job items/sweep-expired-items', tenant: '-' },
    });
    expect(metricNames(lines)).toEqual(['JobSucceeded']);
  });

  it('a failing job logs the failure, counts it and throws on (so Lambda retries or reports it)', async () => {
    const boom = new Error('table gone');
    const job = jobHandler('files/expire-sandboxes', async () => {
      throw boom;
    });
    const { error, lines } = await run(() => job({}, context));
    expect(error).toBe(boom);
    const failure = lines.find((l) => l.message === 'job failed');
    expect(failure).toMatchObject({
      level: 'ERROR',
      function_name: 'ItemsSweepExpiredItems',
      function_request_id: 'req-1',
      route: 'job files/expire-sandboxes',
      tenant: '-',
    });
    expect(metricNames(lines)).toEqual(['JobFailed']);
  });
});
