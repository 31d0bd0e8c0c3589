import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { nodeTransport } from '../../../../client/cli/api-transport';
import { createSatchelClient, SatchelError } from '../../../../client/sdk';
import type { Transport } from '../../../../client/sdk/http';

/**
 * The SDK's retry policy (client/sdk/http.ts, README "The typed SDK"): 429, 5xx and network errors are
 * retried, waiting `Retry-After` when the server gives one, else exponential backoff (first delay
 * `backoffMs`, doubling, capped at 5 s) with full jitter. A real HTTP server answers; sleeps and
 * jitter are injected, so the delays are exact and nothing waits. Every case runs over the SDK's
 * default transport (fetch) and over the CLI's (node:http).
 */
type Answer = { status: number; retryAfter?: string; body?: unknown } | 'hang up';

let server: Server;
let url: string;
let script: Answer[] = [];
let seen: { method: string; path: string }[] = [];
let bodies: string[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '' });
    const answer = script.shift() ?? { status: 200, body: { workspaces: [] } };
    if (answer === 'hang up') return void req.socket.destroy();
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}),
      });
      res.end(JSON.stringify(answer.body ?? { error: `status ${answer.status}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  script = [];
  seen = [];
  bodies = [];
});

const transports: [string, Transport | undefined][] = [
  ['fetch (the default)', undefined],
  ['node:http (the CLI)', nodeTransport],
];

describe.each(transports)('over %s', (_name, transport) => {
  function client(options: { retries?: number; backoffMs?: number; jitter?: number } = {}) {
    const delays: number[] = [];
    const satchel = createSatchelClient({
      baseUrl: url,
      apiKey: 'sk-test',
      retries: options.retries,
      backoffMs: options.backoffMs,
      sleep: async (ms) => void delays.push(ms),
      random: () => options.jitter ?? 0.5,
      transport,
    });
    return { satchel, delays };
  }

  it('waits the Retry-After of a 503 and a 429, then returns the answer', async () => {
    script = [
      { status: 503, retryAfter: '2' },
      { status: 429, retryAfter: '7' },
      { status: 200, body: { workspaces: [{ id: 'w1' }] } },
    ];
    const { satchel, delays } = client();
    await expect(satchel.listWorkspaces()).resolves.toEqual([{ id: 'w1' }]);
    expect(seen).toEqual(Array(3).fill({ method: 'GET', path: '/api/workspaces' }));
    expect(delays).toEqual([2000, 7000]);
  });

  it('without Retry-After backs off exponentially from backoffMs with full jitter, capped at 5 s', async () => {
    script = Array.from({ length: 7 }, (_, i) => ({ status: [500, 502, 503, 504][i % 4] }));
    const { satchel, delays } = client({ retries: 7, backoffMs: 200, jitter: 0.5 });
    await expect(satchel.listWorkspaces()).resolves.toEqual([]);
    expect(seen).toHaveLength(8);
    // half (the injected jitter) of min(5000, 200 * 2^attempt)
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2500, 2500]);

    script = [{ status: 500 }, { status: 500 }];
    const top = client({ backoffMs: 1000, jitter: 0.999 });
    await top.satchel.listWorkspaces();
    expect(top.delays).toEqual([999, 1998]);
  });

  it('gives up after `retries` retries with the last answer as a SatchelError', async () => {
    script = Array(5).fill({
      status: 503,
      retryAfter: '1',
      body: { success: false, error: { code: 'UNAVAILABLE', message: 'try later' } },
    });
    const { satchel, delays } = client({ retries: 2 });
    const error = await satchel.listWorkspaces().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SatchelError);
    expect(error).toMatchObject({ status: 503, code: 'UNAVAILABLE', message: 'try later', retryAfter: 1 });
    expect(seen).toHaveLength(3);
    expect(delays).toEqual([1000, 1000]);
  });

  it('does not sleep through a Retry-After longer than 30 s: the 429 comes back at once, with its hint', async () => {
    script = [
      { status: 429, retryAfter: '1801', body: { success: false, error: { code: 'QUOTA_EXCEEDED', message: 'too many sandboxes' } } },
    ];
    const { satchel, delays } = client();
    const error = await satchel.listWorkspaces().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED', retryAfter: 1801 });
    expect(seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('does not retry a client error', async () => {
    script = [{ status: 400, body: { error: 'body.root_dir: Required' } }];
    const { satchel, delays } = client();
    await expect(satchel.listWorkspaces()).rejects.toMatchObject({ status: 400, message: 'body.root_dir: Required' });
    expect(seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('resends a POST that is not safe to repeat only after a 429 (the server did nothing), never after a 5xx', async () => {
    script = [{ status: 503 }];
    const { satchel, delays } = client();
    await expect(satchel.createWorkspace({ root_dir: '/w' })).rejects.toMatchObject({ status: 503 });
    expect(seen).toEqual([{ method: 'POST', path: '/api/workspaces' }]);
    expect(delays).toEqual([]);

    seen = [];
    script = [
      { status: 429, retryAfter: '3' },
      { status: 201, body: { workspace: { id: 'w2' } } },
    ];
    await expect(satchel.createWorkspace({ root_dir: '/w' })).resolves.toMatchObject({ id: 'w2' });
    expect(seen).toHaveLength(2);
    expect(delays).toEqual([3000]);
  });

  it('retries a dropped connection with backoff when the request is safe to repeat', async () => {
    script = ['hang up', 'hang up'];
    const { satchel, delays } = client({ backoffMs: 100, jitter: 0.25 });
    await expect(satchel.listWorkspaces()).resolves.toEqual([]);
    expect(seen).toHaveLength(3);
    expect(delays).toEqual([25, 50]);

    script = Array(3).fill('hang up');
    const few = client({ retries: 2 });
    await expect(few.satchel.listWorkspaces()).rejects.toMatchObject({
      status: 0,
      message: expect.stringMatching(/^Cannot reach http:\/\/127\.0\.0\.1:\d+: .*Is Satchel running/),
    });
  });

  it('sends a DELETE with its JSON body and length', async () => {
    const { satchel } = client();
    script = [{ status: 200, body: { success: true, message: 'deleted' } }];
    await satchel.deleteItem({ scope: 'company', itemPath: '/a.md' } as never);
    expect(seen).toEqual([{ method: 'DELETE', path: '/api/workspace/items' }]);
    expect(JSON.parse(bodies[0])).toMatchObject({ itemPath: '/a.md' });
  });
});
