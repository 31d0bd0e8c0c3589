import { createServer, type Server } from 'node:http';

// DNS is faked here: within a test, `rebind.test` first resolves to the allow-listed 127.0.0.2,
// and to a forbidden address on every later lookup, like a DNS rebinding attack.
const lookups: string[] = [];
jest.mock('node:dns/promises', () => ({
  lookup: async (host: string) => {
    lookups.push(host);
    const seen = lookups.filter((h) => h === host).length;
    if (host === 'rebind.test') return seen === 1 ? [{ address: '127.0.0.2', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    if (host === 'mixed.test')
      return [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ];
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  },
}));

// loaded after the mock is in place (the esbuild transform does not hoist jest.mock)
let openUrl: typeof import('../../../../../lambdas/items/service/fetch-url').openUrl;
let readCapped: typeof import('../../../../../lambdas/items/service/fetch-url').readCapped;
let server: Server;
let port: number;
const hits: string[] = [];
beforeAll(async () => {
  ({ openUrl, readCapped } = await import('../../../../../lambdas/items/service/fetch-url'));
  server = createServer((req, res) => {
    if (req.url === '/silent') return; // never answers
    if (req.url === '/trickle') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), 100);
      return res.once('close', () => clearInterval(timer));
    }
    hits.push(`${req.socket.localAddress} ${req.headers.host}`);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  port = (server.address() as { port: number }).port;
  process.env.SATCHEL_FETCH_ALLOWED_HOSTS = '127.0.0.2';
});
// each test starts from no lookups and no requests, whatever ran before it
beforeEach(() => {
  lookups.length = 0;
  hits.length = 0;
});
afterAll(async () => {
  delete process.env.SATCHEL_FETCH_ALLOWED_HOSTS;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('guarded fetch', () => {
  it('connects to exactly the address it checked: one lookup, no second resolution to rebind', async () => {
    const opened = await openUrl(`http://rebind.test:${port}/file`, AbortSignal.timeout(5000));
    expect((await readCapped(opened, 100)).toString()).toBe('ok');
    expect(lookups).toEqual(['rebind.test']);
    expect(hits).toEqual([`127.0.0.2 rebind.test:${port}`]);
  });

  it('refuses a host when any of its addresses is private, naming the rule and not the address', async () => {
    const refusal = openUrl('https://mixed.test/file', AbortSignal.timeout(5000));
    await expect(refusal).rejects.toMatchObject({
      code: 'FETCH_REFUSED',
      message: 'fileUrl refused: mixed.test is not a public address (rule: private network)',
    });
    await expect(refusal).rejects.toMatchObject({ message: expect.not.stringMatching(/10\.0\.0\.5|93\.184/) });
  });

  it('reports an unknown host as a failed fetch', async () => {
    await expect(openUrl('https://nowhere.test/file', AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'FETCH_FAILED',
      message: expect.stringMatching(/ENOTFOUND/),
    });
  });

  it('refuses a body larger than the cap', async () => {
    const opened = await openUrl(`http://127.0.0.2:${port}/file`, AbortSignal.timeout(5000));
    await expect(readCapped(opened, 1)).rejects.toMatchObject({ code: 'FETCH_REFUSED' });
  });
});

describe('minimum transfer rate', () => {
  beforeEach(() => {
    process.env.SATCHEL_FETCH_MIN_BYTES_PER_SECOND = '1000';
    process.env.SATCHEL_FETCH_RATE_WINDOW_SECONDS = '1';
  });
  afterEach(() => {
    delete process.env.SATCHEL_FETCH_MIN_BYTES_PER_SECOND;
    delete process.env.SATCHEL_FETCH_RATE_WINDOW_SECONDS;
  });

  it('ends a body that trickles below the floor, long before the time limit', async () => {
    const opened = await openUrl(`http://127.0.0.2:${port}/trickle`, AbortSignal.timeout(30_000));
    // the rate rule's message (over a 1 s window), not the 30 s time limit's
    await expect(readCapped(opened, 1_000_000)).rejects.toMatchObject({
      code: 'FETCH_FAILED',
      message: expect.stringMatching(/sent too slowly: received \d+ bytes in 1 s; the minimum is 1000 bytes\/s/),
    });
  });

  it('ends a fetch whose server never answers its headers', async () => {
    await expect(openUrl(`http://127.0.0.2:${port}/silent`, AbortSignal.timeout(30_000))).rejects.toMatchObject({
      code: 'FETCH_FAILED',
      message: expect.stringMatching(/sent too slowly/),
    });
  });

  it('lets a fast answer through', async () => {
    const opened = await openUrl(`http://127.0.0.2:${port}/file`, AbortSignal.timeout(5000));
    expect((await readCapped(opened, 100)).toString()).toBe('ok');
  });
});
