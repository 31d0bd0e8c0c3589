import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSatchelClient, type SatchelClient } from '../../../client/sdk';
import type { Transport } from '../../../client/sdk/http';
import { nodeTransport } from '../../../client/cli/api-transport';
import { pull, push } from '../../../client/cli/sync/engine';
import { startTestApi, type TestApi } from '../../support/api';
import { write } from '../../support/sync-folders';

let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-sync-safety-'));
  process.env.XDG_CACHE_HOME = join(work, 'cache');
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: string) => createHash('sha256').update(bytes).digest('hex');

async function clientFor(agent: string) {
  const { key } = await api.key({ agent, surfaces: ['sync'] });
  return createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 1 });
}

const backedUp = async (client: Awaited<ReturnType<typeof clientFor>>) => Object.keys((await client.syncGetManifest()).files).sort();

describe('sync deletes are deliberate', () => {
  it('a push of a folder that does not exist, or is a file, is an error and removes nothing', async () => {
    const client = await clientFor('typo');
    const dir = join(work, 'small');
    write(dir, 'a.md', 'a');
    write(dir, 'b.md', 'b');
    await push(client, dir);
    await expect(push(client, join(work, 'smal'), { delete: true })).rejects.toThrow(/does not exist/);
    await expect(push(client, join(work, 'smal'))).rejects.toThrow(/does not exist/);
    await expect(push(client, join(dir, 'a.md'), { delete: true })).rejects.toThrow(/not a folder/);
    expect(await backedUp(client)).toEqual(['a.md', 'b.md']);
  });

  it('push --delete of every file, or of more than a quarter of them, needs force; dry-run only shows it', async () => {
    const client = await clientFor('bulk-delete');
    const dir = join(work, 'bulk');
    for (let i = 0; i < 40; i++) write(dir, `f${String(i).padStart(2, '0')}.txt`, `file ${i}`);
    await push(client, dir);

    for (let i = 0; i < 12; i++) rmSync(join(dir, `f${String(i).padStart(2, '0')}.txt`));
    await expect(push(client, dir, { delete: true })).rejects.toThrow(/would remove 12 of 40 files of the backup.*--force/);
    expect(await backedUp(client)).toHaveLength(40);
    const plan = await push(client, dir, { delete: true, dryRun: true });
    expect(plan.remove).toHaveLength(12);
    expect(plan.upload).toEqual([]);
    expect(await backedUp(client)).toHaveLength(40);
    const forced = await push(client, dir, { delete: true, force: true });
    expect(forced.remove).toHaveLength(12);
    expect(await backedUp(client)).toHaveLength(28);

    // a few deletes go through without force
    for (let i = 12; i < 15; i++) rmSync(join(dir, `f${i}.txt`));
    expect((await push(client, dir, { delete: true })).remove).toHaveLength(3);

    // an emptied folder would remove the whole backup (with overwrite: this folder never synced those files)
    const empty = join(work, 'bulk-empty');
    mkdirSync(empty);
    await expect(push(client, empty, { delete: true, overwrite: true })).rejects.toThrow(/every one of the 25 files/);
    expect(await backedUp(client)).toHaveLength(25);
  });

  it('pull --delete that would remove every local file, or most of them, needs force', async () => {
    const client = await clientFor('pull-bulk-delete');
    const source = join(work, 'pull-bulk-src');
    write(source, 'only.md', 'the backup');
    await push(client, source);
    const dir = join(work, 'pull-bulk-dst');
    for (let i = 0; i < 20; i++) write(dir, `local${i}.md`, `local ${i}`);
    // never pushed from this folder: kept unless overwrite, and then the force rule applies
    const options = { delete: true, overwrite: true };
    await expect(pull(client, dir, options)).rejects.toThrow(/would remove every one of the 20 files of the folder.*--force/);
    expect(readdirSync(dir)).toHaveLength(21); // restored, nothing removed
    const plan = await pull(client, dir, { ...options, dryRun: true });
    expect(plan.removed).toHaveLength(20);
    expect(readdirSync(dir)).toHaveLength(21);
    expect((await pull(client, dir, { ...options, force: true })).removed).toHaveLength(20);
    expect(readdirSync(dir)).toEqual(['only.md']);
  });
});

describe('pull trusts nothing the server sends', () => {
  let hostile: Server;
  let base: string;
  const good = 'restored bytes';
  const files: Record<string, string> = {};

  beforeAll(async () => {
    hostile = createServer((req, res) => {
      if (req.method === 'POST' && req.url?.startsWith('/agent/sync/reconstruct')) {
        const entry = (path: unknown, body: string, extra: Record<string, unknown> = {}) => {
          const id = String(Object.keys(files).length);
          files[id] = body;
          return {
            path,
            hash: sha256(body),
            size: Buffer.byteLength(body),
            modified: new Date().toISOString(),
            url: `${base}/bytes/${id}`,
            expiresAt: '',
            ...extra,
          };
        };
        const bundle = [
          entry('../escaped.txt', 'outside'),
          entry('/etc/absolute.txt', 'absolute'),
          entry('a/../../up.txt', 'up'),
          entry('a\\..\\..\\win.txt', 'backslash'),
          entry('.git/config', '[core]\n\tfsmonitor = touch pwned\n'),
          entry('node_modules/x/index.js', 'planted'),
          entry('link/through.txt', 'through a symlink'),
          entry('bad-hash.txt', 'x', { hash: 'not-a-hash' }),
          entry('bad-url.txt', 'x', { url: 'file:///etc/passwd' }),
          entry(42, 'not a string'),
          entry('ok/good.txt', good),
          entry('ok/good.txt', 'the same path again'),
        ];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { mode: 'full', version: 1, files: bundle } }));
        return;
      }
      const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
      if (m && files[m[1]] !== undefined) return void res.end(files[m[1]]);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => hostile.close(() => r())));

  it('refuses paths that leave the folder, enter .git/ or node_modules/, pass a symlinked folder or are malformed; restores the rest', async () => {
    const root = join(work, 'hostile');
    const dir = join(root, 'restore');
    const outside = join(root, 'outside');
    mkdirSync(outside, { recursive: true });
    mkdirSync(dir, { recursive: true });
    symlinkSync(outside, join(dir, 'link'));
    const client = createSatchelClient({ baseUrl: base, apiKey: 'sk-anything', retries: 0 });

    const result = await pull(client, dir, { delete: true, force: true });
    expect(readFileSync(join(dir, 'ok', 'good.txt'), 'utf8')).toBe(good);
    expect(result.downloaded).toBe(1);
    expect(result.refused.map((r) => r.path)).toEqual([
      '../escaped.txt',
      '/etc/absolute.txt',
      'a/../../up.txt',
      'a\\..\\..\\win.txt',
      '.git/config',
      'node_modules/x/index.js',
      'bad-hash.txt',
      'bad-url.txt',
      '42',
      'ok/good.txt',
    ]);
    // the symlinked folder is this folder's own: kept and reported, never written through
    expect(result.kept).toEqual([{ path: 'link/through.txt', reason: expect.stringMatching(/its folder link is a symbolic link/) }]);
    expect(result.removed).toEqual([]); // nothing removed while something was refused
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(root, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(work, 'up.txt'))).toBe(false);
    expect(existsSync(join(dir, '.git'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('the satchel command reports each refused entry and exits non-zero', async () => {
    const dir = join(work, 'hostile-command');
    const cli = join(__dirname, '../../../client/cli/main.ts');
    const tsx = join(__dirname, '../../../node_modules/.bin/tsx');
    const env = { ...process.env, SATCHEL_URL: base, SATCHEL_API_KEY: 'sk-anything' };
    const failed = await promisify(execFile)(tsx, [cli, 'sync', 'pull', dir], { env }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/refused "\.\.\/escaped\.txt": the path contains a "\.\." segment/);
    expect(failed?.stderr).toMatch(/refused 10 entries .*the rest was restored/);
    expect(failed?.stdout).toMatch(/pulled 2 files/);
    expect(readFileSync(join(dir, 'ok', 'good.txt'), 'utf8')).toBe(good);
  });
});

/** Writes `mebibytes` MiB of `fill` after `head`, as fast as the client reads: a server that never stops. */
function flood(res: ServerResponse, mebibytes: number, fill: number, head = ''): void {
  const chunk = Buffer.alloc(1024 * 1024, fill);
  let left = mebibytes;
  const more = () => {
    while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', more);
    res.end();
  };
  res.on('error', () => undefined); // the client cuts it off
  res.write(head);
  more();
}

/** Runs `test` against a hostile server answering with `handler` (`base` is its address), then closes it. */
async function withServer(
  handler: (req: IncomingMessage, res: ServerResponse, base: string) => void,
  test: (client: SatchelClient) => Promise<void>,
  transport?: Transport,
): Promise<void> {
  const server = createServer((req, res) => handler(req, res, base));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    await test(createSatchelClient({ baseUrl: base, apiKey: 'sk-anything', retries: 0, ...(transport ? { transport } : {}) }));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const answer = (res: ServerResponse, data: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data }));
};

describe('a pull meets downloads that are not what the answer said', () => {
  it('cuts off a body longer than the declared size, refuses it and a wrong hash, and restores the rest', async () => {
    const dir = join(work, 'oversized');
    await withServer(
      (req, res, base) => {
        if (req.url?.startsWith('/agent/sync/reconstruct'))
          return answer(res, {
            mode: 'full',
            version: 1,
            files: [
              { path: 'small.txt', hash: sha256('tiny!'), size: 5, url: `${base}/endless` }, // held in memory
              { path: 'large.bin', hash: sha256('x'), size: 9 * 1024 * 1024, url: `${base}/endless` }, // streamed to a file
              { path: 'wrong.txt', hash: sha256('expected'), size: 8, url: `${base}/other` },
              { path: 'good.txt', hash: sha256('good'), size: 4, url: `${base}/good` },
            ],
          });
        if (req.url === '/good') return void res.end('good');
        if (req.url === '/other') return void res.end('not that');
        flood(res, 64, 7);
      },
      async (client) => {
        const result = await pull(client, dir);
        expect(result.refused.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
          { path: 'large.bin', reason: `the server sent more than the ${9 * 1024 * 1024} bytes expected` },
          { path: 'small.txt', reason: 'the server sent more than the 5 bytes expected' },
          { path: 'wrong.txt', reason: expect.stringMatching(/^downloaded 8 bytes with SHA-256 [0-9a-f]{64}, expected 8 bytes/) },
        ]);
        expect(result.downloaded).toBe(1);
      },
    );
    expect(readdirSync(dir)).toEqual(['good.txt']); // nothing else, no temporary file
    expect(readFileSync(join(dir, 'good.txt'), 'utf8')).toBe('good');
  });
});

describe('a server whose pages never end', () => {
  it('pull, push and the SDK stop with an error instead of reading the same page forever', async () => {
    let requests = 0;
    await withServer(
      (req, res, base) => {
        requests++;
        if (req.url?.startsWith('/agent/sync/reconstruct'))
          return answer(res, {
            mode: 'full',
            version: 1,
            files: [{ path: 'a.txt', hash: sha256('x'), size: 1, url: `${base}/a` }],
            nextCursor: 'again',
          });
        if (req.url?.startsWith('/agent/sync/manifest'))
          return answer(res, { version: 1, agentId: 'a', lastSync: null, files: {}, nextCursor: 'again' });
        if (req.url?.startsWith('/agent/sync/files')) return answer(res, { files: [], nextCursor: 'again' });
        res.end('x');
      },
      async (client) => {
        const endless = /page cursor it had already sent/;
        await expect(pull(client, join(work, 'endless'))).rejects.toThrow(endless);
        const dir = join(work, 'endless-push');
        write(dir, 'a.md', 'a');
        await expect(push(client, dir)).rejects.toThrow(endless);
        await expect(client.syncListFiles()).rejects.toThrow(endless);
      },
    );
    expect(requests).toBeLessThan(20);
  });
});

describe('an answer larger than any of the API', () => {
  it('is cut off, not read into memory, and the command says to check the server address', async () => {
    const dir = join(work, 'huge-answer');
    write(dir, 'a.md', 'a');
    await withServer(
      // a manifest followed by 80 MiB of white space: valid JSON, never an answer of the API
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        flood(res, 80, 0x20, '{"data":{"version":1,"agentId":"a","lastSync":null,"files":{}}}');
      },
      (client) =>
        expect(push(client, dir)).rejects.toThrow(/larger than any Satchel answer \(over 64 MiB\): check the server address \(--url\)/),
      nodeTransport,
    );
  });
});

describe('a pull stopped with Ctrl-C', () => {
  it('leaves the files it was writing as they were, and no temporary file', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 7); // above the size a pull buffers in memory: streamed to a temporary file
    let sent = false;
    const server = createServer((req, res) => {
      if (req.method === 'POST' && req.url?.startsWith('/agent/sync/reconstruct')) {
        const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const files = [{ path: 'big.bin', hash: createHash('sha256').update(big).digest('hex'), size: big.length, url: `${base}/big` }];
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ data: { mode: 'full', version: 1, files } }));
      }
      // the first MiB, then nothing more until the pull is stopped
      res.writeHead(200, { 'content-length': String(big.length) });
      res.write(big.subarray(0, 1024 * 1024), () => (sent = true));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = join(work, 'interrupted');
    write(dir, 'big.bin', 'the old version');
    const cli = join(__dirname, '../../../client/cli/main.ts');
    const tsx = join(__dirname, '../../../node_modules/.bin/tsx');
    const env = {
      ...process.env,
      SATCHEL_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      SATCHEL_API_KEY: 'sk-anything',
    };
    try {
      const child = spawn(tsx, [cli, 'sync', 'pull', dir, '--overwrite'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      // stopped once the download is being written
      for (let i = 0; i < 1000 && !(sent && readdirSync(dir).length > 1); i++) await new Promise((r) => setTimeout(r, 20));
      expect(readdirSync(dir).length).toBeGreaterThan(1);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toMatch(/download interrupted/);
      expect(readdirSync(dir)).toEqual(['big.bin']);
      expect(readFileSync(join(dir, 'big.bin'), 'utf8')).toBe('the old version');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
