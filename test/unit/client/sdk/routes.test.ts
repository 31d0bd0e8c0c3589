import { createSatchelClient } from '../../../../client/sdk';
import { compileRoutes, matchRoute } from '../../../../lambdas/kit/gateway';
import { ROUTES } from '../../../../lambdas/routes';

/**
 * Every SDK method sends requests the route table serves (method and path of a row), and every row a
 * client calls has an SDK method. The SDK writes its paths itself; this keeps them honest.
 */
const table = compileRoutes(ROUTES);
type Sent = { method: string; path: string };

function recordingClient() {
  const sent: Sent[] = [];
  const fetch = (async (url: string | URL, init?: RequestInit) => {
    sent.push({ method: init?.method ?? 'GET', path: new URL(String(url)).pathname });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { sent, client: createSatchelClient({ baseUrl: 'http://sdk.test', apiKey: 'sk-test', retries: 0, fetch }) };
}

/** Argument lists tried in turn until a method sends a request (the SDK's own checks refuse the others). */
const ATTEMPTS: unknown[][] = [
  ['ref-1', 'name-2', 'id-3'],
  [{ path: '/a.md', itemPath: '/a.md', scope: 'company', content: 'x', query: 'q', from: '/a.md', to: '/b.md', files: [], operations: [] }],
  [[{ filePath: 'a.md', path: 'a.md', hash: '0'.repeat(64), size: 1, method: 'put' }]],
  ['dep_aaaaaaaaaaaaaaaaaaaa', [{ fileName: 'a.md', storagePath: 'deployments/dep_aaaaaaaaaaaaaaaaaaaa/a.md' }]],
  [],
];

async function requestsOf(name: string): Promise<Sent[]> {
  for (const args of ATTEMPTS) {
    const { sent, client } = recordingClient();
    const method = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    try {
      const result = method(...args);
      // pagers answer with an async iterator: its first page sends the request
      if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
        for await (const _page of result as AsyncIterable<unknown>) break;
      } else await result;
    } catch {
      // the next argument list
    }
    if (sent.length) return sent;
  }
  return [];
}

const methods = Object.keys(recordingClient().client)
  .filter((k) => k !== 'http')
  .sort();

describe('SDK methods against the route table', () => {
  it.each(methods)('%s sends only requests a route row serves', async (name) => {
    const sent = await requestsOf(name);
    expect(sent.length).toBeGreaterThan(0);
    for (const { method, path } of sent) expect(matchRoute(table, method, path).route).toBeDefined();
  });

  it('every route a client calls has an SDK method', async () => {
    const reached = new Set<string>();
    for (const name of methods) {
      for (const { method, path } of await requestsOf(name)) {
        const route = matchRoute(table, method, path).route;
        if (route) reached.add(`${route.method} ${route.path}`);
      }
    }
    const unreached = ROUTES.filter((r) => r.auth && !reached.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`);
    // MCP is a protocol endpoint for MCP clients, not an SDK call
    expect(unreached).toEqual(['POST /mcp', 'GET /mcp']);
  });
});
