import { ContextLogFormatter, setLogTenant, withLogContext } from '../../../../lambdas/kit/log-context';

// what the lines and metrics look like in Lambda, whatever the environment of the run (the integration setup quiets both)
Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_TRACE_ENABLED: 'false' });
const { Logger } = require('@aws-lambda-powertools/logger') as typeof import('@aws-lambda-powertools/logger');

/** Log lines the logger writes while `fn` runs, parsed. */
async function linesOf(fn: (logger: InstanceType<typeof Logger>) => Promise<void>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation(((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as never);
  try {
    await fn(new Logger({ serviceName: 'test', logLevel: 'INFO', logFormatter: new ContextLogFormatter() }));
  } finally {
    write.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('log context', () => {
  it('every line carries route and tenant; "-" where none is known', async () => {
    const lines = await linesOf(async (logger) => {
      logger.info('outside');
      await withLogContext({ route: 'GET /api/workspaces' }, async () => {
        logger.info('before auth');
        setLogTenant('t-1');
        logger.info('after auth', { extra: 1 });
      });
    });
    expect(lines.map((l) => [l.message, l.route, l.tenant])).toEqual([
      ['outside', '-', '-'],
      ['before auth', 'GET /api/workspaces', '-'],
      ['after auth', 'GET /api/workspaces', 't-1'],
    ]);
    expect(lines[2]).toMatchObject({ level: 'INFO', service: 'test', extra: 1 });
  });

  it('requests served at once keep their own tenant (one shared logger, interleaved awaits)', async () => {
    const lines = await linesOf(async (logger) => {
      const serve = (tenant: string, route: string) =>
        withLogContext({ route }, async () => {
          await tick();
          setLogTenant(tenant);
          for (let i = 0; i < 3; i++) {
            logger.info(`${tenant} ${i}`);
            await tick();
          }
        });
      await Promise.all([serve('alpha', 'POST /sync/push'), serve('beta', 'GET /sync/status'), serve('gamma', 'POST /sync/pull')]);
    });
    expect(lines).toHaveLength(9);
    const messages = lines.map((l) => l.message as string);
    // interleaved, or this test would prove nothing
    expect(messages.slice(0, 3).map((m) => m.split(' ')[0])).toEqual(['alpha', 'beta', 'gamma']);
    for (const line of lines) expect(line.tenant).toBe((line.message as string).split(' ')[0]);
    expect(new Set(lines.map((l) => `${l.tenant} ${l.route}`))).toEqual(
      new Set(['alpha POST /sync/push', 'beta GET /sync/status', 'gamma POST /sync/pull']),
    );
  });
});
