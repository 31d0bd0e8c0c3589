import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Loads the handler kit in a fresh Node process and reports whether the X-Ray SDK came with it. */
function xrayLoadedWith(env: Record<string, string>): { loaded: boolean; tracing: boolean } {
  const script = `
    require(${JSON.stringify(join(__dirname, '../../../../lambdas/kit/http.ts'))});
    const { tracingMiddleware } = require(${JSON.stringify(join(__dirname, '../../../../lambdas/kit/observability.ts'))});
    const tracing = tracingMiddleware() !== undefined;
    const loaded = Object.keys(require.cache).some((file) => file.includes('aws-xray-sdk-core'));
    process.stdout.write(JSON.stringify({ loaded, tracing }));`;
  const { POWERTOOLS_TRACE_ENABLED: _inherited, ...base } = process.env;
  const out = execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
    env: { ...base, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  return JSON.parse(out.toString()) as { loaded: boolean; tracing: boolean };
}

describe('tracing', () => {
  it('does not load the X-Ray SDK (an async hook on every promise) when POWERTOOLS_TRACE_ENABLED=false', () => {
    expect(xrayLoadedWith({ POWERTOOLS_TRACE_ENABLED: 'false' })).toEqual({ loaded: false, tracing: false });
  });

  it('wraps handlers in the Powertools tracer when tracing is on, as in Lambda', () => {
    expect(xrayLoadedWith({})).toEqual({ loaded: true, tracing: true });
  });
});
