import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSatchelClient, SatchelError } from '../../../client/sdk';
import { describeError } from '../../../client/cli/errors';
import { startTestApi, type TestApi } from '../../support/api';
import { runSatchel, STACK_LINE } from '../../support/cli';
import { eventually } from '../../support/items';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-upload-clients-'));

let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-items-upload-files-'));
});
afterAll(() => api.close());

/** At least `bytes` bytes of markdown with one findable paragraph near the start. */
function bigText(bytes: number): string {
  const lines = ['# Field notes', 'Zebra migration telemetry: the collars report herd positions across the Serengeti every hour.'];
  for (let i = 0, length = 0; length < bytes; i++) {
    lines.push(`Ledger line ${i}: account ${i * 7919} reconciled for region ${i % 13}.`);
    length += lines[lines.length - 1].length + 2;
  }
  return lines.join('\n\n');
}

describe('SDK: uploadItem', () => {
  it('adds a 3 MiB file from a stream (pending, then ready and searchable) and a small one at once', async () => {
    const { key } = await api.key({ surfaces: ['items'], agent: 'uploader' });
    const satchel = createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 0 });
    const bytes = Buffer.from(bigText(3 * 1024 * 1024));
    const stream = new Blob([bytes]).stream();
    expect(await satchel.uploadItem({ itemPath: '/notes/field.md', body: stream, size: bytes.length })).toMatchObject({
      success: true,
      status: 'pending',
    });
    const status = await eventually(async () => {
      const s = await satchel.itemStatus({ itemPath: '/notes/field.md' });
      return s.status === 'pending' ? undefined : s;
    }, 120000);
    expect(status).toMatchObject({ status: 'ready', size: bytes.length, contentType: 'text/markdown' });
    expect((await satchel.searchItems({ query: 'zebra telemetry collars', minScore: 0.5 })).results[0]?.path).toBe('/notes/field.md');

    expect(await satchel.uploadItem({ itemPath: '/notes/small.txt', body: Buffer.from('small'), size: 5 })).toMatchObject({
      status: 'ready',
    });
    // a body shorter than declared never becomes an item
    await expect(satchel.uploadItem({ itemPath: '/notes/short.txt', body: Buffer.from('abc'), size: 10 })).rejects.toThrow(
      '/notes/short.txt: size is 10 but the body has 3 bytes',
    );
    await expect(satchel.itemStatus({ itemPath: '/notes/short.txt' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('CLI: satchel items add with files over 1 MiB', () => {
  const envOf = async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    return { SATCHEL_URL: api.url, SATCHEL_API_KEY: key, SATCHEL_AGENT: '' };
  };

  it('uploads a 2 MiB file given as a path, with progress, and says how to follow the background indexing', async () => {
    const env = await envOf();
    const file = join(work, 'big.md');
    const text = bigText(2 * 1024 * 1024);
    writeFileSync(file, text);
    const added = await runSatchel(['items', 'add', '/docs/big.md', file, '-s', 'company'], { env });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ success: true, path: '/docs/big.md', status: 'pending' });
    expect(added.stderr).toMatch(/^upload big\.md \(2\.\d MiB\)$/m);
    expect(added.stderr).toMatch(/^upload: 1 file, 2\.\d MiB in /m);
    expect(added.stderr).toContain('`satchel items status /docs/big.md` shows when it is ready');
    await eventually(async () => {
      const status = await runSatchel(['items', 'status', '/docs/big.md', '-s', 'company'], { env });
      const body = JSON.parse(status.stdout);
      return body.status === 'ready' ? body : undefined;
    }, 120000);
    const found = await runSatchel(['items', 'search', 'zebra telemetry collars', '-s', 'company', '--min-score', '0.5'], { env });
    expect(JSON.parse(found.stdout).results[0].path).toBe('/docs/big.md');
    // and back: get --out downloads it (over 1 MiB the server answers a downloadUrl)
    const back = join(work, 'back.md');
    const got = await runSatchel(['items', 'get', '/docs/big.md', '-s', 'company', '--out', back], { env });
    expect(got.code).toBe(0);
    expect(got.stderr).toMatch(/^download big\.md \(2\.\d MiB\)$/m);
    expect(readFileSync(back, 'utf8')).toBe(text);
    const raw = await runSatchel(['items', 'get', '/docs/big.md', '-s', 'company', '--raw'], { env });
    expect(raw.stdout).toBe(text);
  });

  it('uploads more than 1 MiB from stdin too', async () => {
    const env = await envOf();
    const text = bigText(1.2 * 1024 * 1024);
    const added = await runSatchel(['items', 'add', '/notes/piped.md', '-s', 'company'], { env, input: text });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).status).toBe('pending');
    expect(added.stderr).toMatch(/^upload stdin \(1\.\d MiB\)$/m);
    const satchel = createSatchelClient({ baseUrl: api.url, apiKey: env.SATCHEL_API_KEY, retries: 0 });
    await eventually(
      async () => ((await satchel.itemStatus({ scope: 'company', itemPath: '/notes/piped.md' })).status === 'ready' ? true : undefined),
      120000,
    );
    expect((await satchel.getItem({ scope: 'company', itemPath: '/notes/piped.md' })).size).toBe(Buffer.byteLength(text));
  });

  it('a folder is one clear line, no stack trace', async () => {
    const env = await envOf();
    const folder = join(work, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const result = await runSatchel(['items', 'add', '/x.md', folder], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^satchel: .*a-folder is a folder: add its files one by one/);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("the server's answer to inline content over 1 MiB reads, in CLI terms, what works", async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const satchel = createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 0 });
    const error = await satchel
      .addItem({ scope: 'company', itemPath: '/big.txt', content: 'x'.repeat(1024 * 1024 + 1) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SatchelError);
    expect(describeError(error)).toMatch(
      /^content is 1048577 bytes; .*`satchel items add <itemPath> <file>` uploads larger files \(from a path or stdin\).*--file-url$/,
    );
  });
});
