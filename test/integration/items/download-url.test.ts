import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSatchelClient } from '../../../client/sdk';
import { startTestApi, type TestApi } from '../../support/api';
import { eventually, itemsClient } from '../../support/items';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-large-'));

/**
 * Items over 1 MiB (docs/items.md, seed 003 `items/get`): `content: null` and a presigned `downloadUrl`
 * (15 minutes at most) instead of inline bytes; up to exactly 1 MiB the content comes inline. The bytes
 * arrive through `fileUrl` from a file server on 127.0.0.2 (allow-listed), within the request or in the
 * background.
 */
const MIB = 1024 * 1024;
const FILE_HOST = '127.0.0.2';

/** Seeded bytes: SHA-256 in counter mode, the same on every run. */
function seededBytes(seed: string, size: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < size; i++) blocks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, size);
}

const exact = seededBytes('exact', MIB);
const over = seededBytes('over', MIB + 1);
// text past the inline limit: a findable paragraph, then filler words
const text = `# Rotation\n\nRotate the signing keys every ninety days.\n\n${'filler words of a long manual page. '.repeat(60_000)}`;
const FILES: Record<string, { body: Buffer; type: string; announce: boolean }> = {
  '/exact.bin': { body: exact, type: 'application/octet-stream', announce: true },
  '/over.bin': { body: over, type: 'application/octet-stream', announce: true },
  '/manual.txt': { body: Buffer.from(text), type: 'text/plain', announce: true },
  // no length announced: the item is fetched in the background
  '/streamed.bin': { body: over, type: 'application/octet-stream', announce: false },
};

let files: Server;
let filesUrl: string;
let api: TestApi;

beforeAll(async () => {
  files = createServer((req, res) => {
    const file = FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, ...(file.announce ? { 'content-length': file.body.length } : {}) });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => files.listen(0, FILE_HOST, resolve));
  filesUrl = `http://${FILE_HOST}:${(files.address() as { port: number }).port}`;
  api = await startTestApi();
  process.env.SATCHEL_FETCH_ALLOWED_HOSTS = FILE_HOST;
});
afterAll(async () => {
  delete process.env.SATCHEL_FETCH_ALLOWED_HOSTS;
  await api.close();
  await new Promise((resolve) => files.close(resolve));
});

const newTenant = async () => {
  const { key, tenant } = await api.key({ surfaces: ['items'] });
  return { key, tenant, items: itemsClient(api.url, key) };
};

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

it('answers an item of exactly 1 MiB inline and one byte more as a downloadUrl to the same bytes', async () => {
  const { items } = await newTenant();
  const exactAt = { scope: 'company', itemPath: '/blobs/exact.bin' };
  const overAt = { scope: 'company', itemPath: '/blobs/over.bin' };
  expect((await items.add({ ...exactAt, fileUrl: `${filesUrl}/exact.bin` })).status).toBe(201);
  expect((await items.add({ ...overAt, fileUrl: `${filesUrl}/over.bin` })).status).toBe(201);

  const inline = await items.get(exactAt);
  expect(inline.status).toBe(200);
  expect(inline.body).toMatchObject({ path: '/blobs/exact.bin', size: MIB, encoding: 'base64' });
  expect(inline.body.downloadUrl).toBeUndefined();
  expect(Buffer.from(inline.body.content, 'base64').equals(exact)).toBe(true);

  const large = await items.get(overAt);
  expect(large.status).toBe(200);
  expect(large.body).toMatchObject({
    path: '/blobs/over.bin',
    size: MIB + 1,
    encoding: 'base64',
    content: null,
    contentType: 'application/octet-stream',
  });
  const url = new URL(large.body.downloadUrl);
  expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeGreaterThan(0);
  expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(900);
  expect((await download(large.body.downloadUrl)).equals(over)).toBe(true);
  // the list reports the size as stored
  const listed = await items.list({ scope: 'company', prefix: '/blobs/' });
  expect(listed.body.items.map((i: { path: string; size: number }) => [i.path, i.size])).toEqual([
    ['/blobs/exact.bin', MIB],
    ['/blobs/over.bin', MIB + 1],
  ]);
});

it('a large text item is searchable, and its download is the text as fetched', async () => {
  const { items } = await newTenant();
  const at = { scope: 'company', itemPath: '/manuals/rotation.txt' };
  // over 100 chunks of text: stored within the request, indexed in the background (docs/items.md)
  expect((await items.add({ ...at, fileUrl: `${filesUrl}/manual.txt` })).status).toBe(202);
  await eventually(async () => ((await items.status(at)).body.status === 'pending' ? undefined : true), 120_000);
  const got = await items.get(at);
  expect(got.body).toMatchObject({ content: null, encoding: 'utf8', size: Buffer.byteLength(text), contentType: 'text/plain' });
  expect((await download(got.body.downloadUrl)).toString('utf8')).toBe(text);
  const found = await items.search({ scope: 'company', query: 'how often should signing keys be rotated?', minScore: 0 });
  expect(found.body.results[0]).toMatchObject({ path: at.itemPath });
});

it('an item fetched in the background over 1 MiB is a downloadUrl once ready', async () => {
  const { items } = await newTenant();
  const at = { scope: 'session', scopeId: 's-1', itemPath: '/streamed.bin' };
  const added = await items.add({ ...at, fileUrl: `${filesUrl}/streamed.bin` });
  expect(added.status).toBe(202);
  const status = await eventually(async () => {
    const res = await items.status(at);
    return res.body.status === 'pending' ? undefined : res.body;
  }, 120_000);
  expect(status).toMatchObject({ status: 'ready', size: MIB + 1 });
  const got = await items.get(at);
  expect(got.body).toMatchObject({ content: null, size: MIB + 1 });
  expect((await download(got.body.downloadUrl)).equals(over)).toBe(true);
});

it('the SDK hands out the downloadUrl; another tenant gets 404; after a delete the URL reads nothing', async () => {
  const { key, items } = await newTenant();
  const at = { scope: 'company' as const, itemPath: '/blobs/gone.bin' };
  expect((await items.add({ ...at, fileUrl: `${filesUrl}/over.bin` })).status).toBe(201);
  const sdk = createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 0 });
  const item = await sdk.getItem(at);
  expect(item).toMatchObject({ content: null, size: MIB + 1 });
  expect((await download(item.downloadUrl as string)).equals(over)).toBe(true);

  const stranger = await newTenant();
  const foreign = await stranger.items.get(at);
  expect(foreign.status).toBe(404);
  expect(foreign.body.error.code).toBe('ITEM_NOT_FOUND');
  expect(JSON.stringify(foreign.body)).not.toMatch(/X-Amz|downloadUrl/);

  expect((await items.remove(at)).status).toBe(200);
  expect((await fetch(item.downloadUrl as string)).status).toBe(404);
});
