import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pull } from '../../../../../client/cli/sync/engine';
import { createSatchelClient } from '../../../../../client/sdk';

const sha256 = (bytes: string) => createHash('sha256').update(bytes).digest('hex');

/** Starts (on a free port, answering its base URL, also given to `onBase`) and stops a test server. */
function listening(server: Server, onBase: (base: string) => void) {
  return {
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
          onBase(base);
          resolve(base);
        }),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A restore server of two pages (each more files than a pull downloads at once) that holds every
 * download of the first page until the second page was asked for, or until `patience` ms passed.
 */
function pagedServer(patience: number) {
  const events: string[] = [];
  const requests: Record<string, unknown>[] = [];
  const held: (() => void)[] = [];
  let secondAsked = false;
  const page = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const body = `file ${from + i}`;
      return { path: `d${(from + i) % 3}/f${from + i}.txt`, hash: sha256(body), size: body.length, modified: '', expiresAt: '' };
    });
  let base = '';
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/agent/sync/reconstruct')) {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const body = JSON.parse(text) as { cursor?: string; limit?: number };
        requests.push(body);
        const second = body.cursor === 'second';
        if (second) {
          events.push('second page asked');
          secondAsked = true;
          for (const release of held.splice(0)) release();
        }
        const files = (second ? page(20, 20) : page(0, 20)).map((f, i) => ({ ...f, url: `${base}/bytes/${second ? 20 + i : i}` }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { mode: 'full', version: 1, files, ...(second ? {} : { nextCursor: 'second' }) } }));
      });
      return;
    }
    const n = Number(/^\/bytes\/(\d+)$/.exec(req.url ?? '')?.[1]);
    const send = (r: ServerResponse) => r.end(`file ${n}`);
    if (n >= 20 || secondAsked) return void send(res);
    held.push(() => send(res));
    if (held.length === 1)
      setTimeout(() => {
        if (!held.length) return;
        events.push('first downloads released without the second page');
        for (const release of held.splice(0)) release();
      }, patience).unref();
  });
  return {
    events,
    requests,
    ...listening(server, (url) => (base = url)),
  };
}

describe('pull', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'satchel-pull-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('asks for a small first page, and for the next page while the downloads of the one before still run', async () => {
    const server = pagedServer(1500);
    const client = createSatchelClient({ baseUrl: await server.start(), apiKey: 'sk-test', retries: 0 });
    const dir = join(work, 'paged');
    try {
      const result = await pull(client, dir, { concurrency: 4 });
      expect(result.downloaded).toBe(40);
      expect(server.events).toEqual(['second page asked']);
      // the SDK's firstLimits set the first pages' `limit`; the server never sees them
      expect(server.requests.map((r) => Object.keys(r).sort())).toEqual([
        ['limit', 'mode'],
        ['cursor', 'limit', 'mode'],
      ]);
      expect(Number(server.requests[0].limit)).toBeLessThan(Number(server.requests[1].limit));
      expect(readFileSync(join(dir, 'd2', 'f38.txt'), 'utf8')).toBe('file 38');
      // every download went through a temporary file renamed into place: none is left
      for (const folder of ['d0', 'd1', 'd2']) expect(readdirSync(join(dir, folder)).every((name) => /^f\d+\.txt$/.test(name))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('asks for pages that grow at most fourfold, so each arrives before the downloads of the one before end', async () => {
    const server = pageLimitServer(5);
    const client = createSatchelClient({ baseUrl: await server.start(), apiKey: 'sk-test', retries: 0 });
    try {
      const result = await pull(client, join(work, 'grown'));
      expect(result.downloaded).toBe(15);
      expect(server.limits).toHaveLength(5);
      for (let i = 1; i < server.limits.length; i++) {
        expect(server.limits[i]).toBeGreaterThanOrEqual(server.limits[i - 1]);
        expect(server.limits[i]).toBeLessThanOrEqual(4 * server.limits[i - 1]);
      }
      // they reach the full page size (1,000 files): a restore of many files needs few requests
      expect(server.limits.at(-1)).toBe(1000);
      expect(readFileSync(join(work, 'grown', 'p4', 'f2.txt'), 'utf8')).toBe('file 14');
    } finally {
      await server.close();
    }
  });
});

/** A restore server of `pages` pages of 3 files each, recording each page's `limit`. */
function pageLimitServer(pages: number) {
  const limits: number[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST') {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const body = JSON.parse(text) as { cursor?: string; limit: number };
        limits.push(body.limit);
        const at = Number(body.cursor ?? 0);
        const files = [0, 1, 2].map((i) => {
          const content = `file ${3 * at + i}`;
          return { path: `p${at}/f${i}.txt`, hash: sha256(content), size: content.length, url: `${base}/bytes/${3 * at + i}` };
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { mode: 'full', version: 1, files, ...(at + 1 < pages ? { nextCursor: String(at + 1) } : {}) } }));
      });
      return;
    }
    res.end(`file ${/^\/bytes\/(\d+)$/.exec(req.url ?? '')?.[1]}`);
  });
  return {
    limits,
    ...listening(server, (url) => (base = url)),
  };
}
