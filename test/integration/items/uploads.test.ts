import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { s3Client } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { entryKey, expiryShard, putEntry, readEntry } from '../../../lambdas/items/service/store';
import { ingestQueue } from '../../../lambdas/items/service/ingest';
import { onManifestsChange } from '../../../lambdas/items/process-manifest-changes';
import type { ScopeRef } from '../../../lambdas/items/service/scope';
import { call, startTestApi, type TestApi } from '../../support/api';
import { eventually, itemsClient } from '../../support/items';
import { SEED_DOCUMENTS, SEED_QUERY } from '../../fixtures/seed-documents';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-uploads-'));

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

/** Text of about `chars` characters with one paragraph (about zebra telemetry) at `needleAt`. */
function longText(chars: number, needleAt: number): string {
  const parts: string[] = [];
  let length = 0;
  let placed = false;
  for (let i = 0; length < chars; i++) {
    if (!placed && length >= needleAt) {
      parts.push('Zebra migration telemetry: the collars report herd positions across the Serengeti every hour.');
      placed = true;
    }
    const line = `Ledger note ${i}: the quarterly reconciliation of account ${i * 7919} matched the bank statement for region ${i % 13}.`;
    parts.push(line);
    length += line.length + 2;
  }
  return parts.join('\n\n');
}

const exists = async (key: string) =>
  s3Client()
    .send(new HeadObjectCommand({ Bucket: config.bucketName, Key: key }))
    .then(
      () => true,
      (error: { name?: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)),
    );

async function createUpload(key: string, body: Record<string, unknown>) {
  return call(api.url, 'POST', '/api/workspace/items/uploads', { key, body });
}

/** Creates an upload and PUTs `bytes` to it as a client would. */
async function uploadBytes(key: string, bytes: Buffer, contentType?: string): Promise<string> {
  const created = await createUpload(key, { size: bytes.length, ...(contentType ? { contentType } : {}) });
  expect(created.status).toBe(201);
  const put = await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytes });
  expect(put.status).toBe(200);
  return created.body.uploadId as string;
}

const ready = (items: ReturnType<typeof itemsClient>, query: Record<string, string>) =>
  eventually(async () => {
    const status = await items.status(query);
    return status.body.status === 'pending' ? undefined : status.body;
  }, 120000);

describe('large local files as items (staged uploads, extension of seed 003)', () => {
  it('adds a 2.5 MiB text file by upload: pending, then ready, searchable, downloadable; staged bytes removed; the id is used up', async () => {
    const { key, tenant } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const text = longText(2.5 * 1024 * 1024, 600_000);
    const bytes = Buffer.from(text, 'utf8');
    const created = await createUpload(key, { size: bytes.length });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      uploadId: expect.stringMatching(/^[0-9a-f]{32}$/),
      method: 'PUT',
      headers: { 'content-length': String(bytes.length) },
      maxBytes: config.fetchMaxBytes,
    });
    expect(Date.parse(created.body.expiresAt)).toBeGreaterThan(Date.now());
    expect((await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: bytes })).status).toBe(200);

    const added = await items.add({ scope: 'company', itemPath: '/data/ledger.md', upload: { id: created.body.uploadId } });
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ success: true, path: '/data/ledger.md', status: 'pending' });

    const status = await ready(items, { scope: 'company', itemPath: '/data/ledger.md' });
    expect(status).toMatchObject({ status: 'ready', contentType: 'text/markdown', size: bytes.length });
    expect(status.indexedChunks).toBeGreaterThan(config.syncIndexMaxChunks);
    const found = await items.search({ query: 'zebra migration telemetry collars', scope: 'company', minScore: 0.5 });
    expect(found.body.results[0]).toMatchObject({ path: '/data/ledger.md', content: expect.stringContaining('Zebra migration telemetry') });
    const got = await items.get({ scope: 'company', itemPath: '/data/ledger.md' });
    expect(got.body).toMatchObject({ content: null, size: bytes.length });
    expect(Buffer.from(await (await fetch(got.body.downloadUrl)).arrayBuffer()).equals(bytes)).toBe(true);

    expect(await exists(`items/uploads/${tenant}/-/${created.body.uploadId}`)).toBe(false);
    const again = await items.add({ scope: 'company', itemPath: '/data/ledger-2.md', upload: { id: created.body.uploadId } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'UPLOAD_USED', message: expect.stringContaining('/data/ledger.md') });
  });

  it('stores a binary upload as is (not indexed) and a small text upload at once (201, searchable)', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const binary = randomBytes(1.5 * 1024 * 1024);
    const id = await uploadBytes(key, binary);
    expect((await items.add({ scope: 'company', itemPath: '/blobs/model.bin', upload: { id } })).status).toBe(202);
    expect(await ready(items, { scope: 'company', itemPath: '/blobs/model.bin' })).toMatchObject({
      status: 'ready',
      indexedChunks: 0,
      size: binary.length,
      contentType: 'application/octet-stream',
    });
    const got = await items.get({ scope: 'company', itemPath: '/blobs/model.bin' });
    expect(Buffer.from(await (await fetch(got.body.downloadUrl)).arrayBuffer()).equals(binary)).toBe(true);

    const small = await uploadBytes(key, Buffer.from(SEED_DOCUMENTS[0].content), 'text/markdown');
    const added = await items.add({ scope: 'company', itemPath: '/docs/authentication.md', upload: { id: small } });
    expect(added).toMatchObject({ status: 201, body: { status: 'ready' } });
    expect((await items.search({ query: SEED_QUERY, scope: 'company' })).body.results[0]?.path).toBe('/docs/authentication.md');
  });

  it("refuses another tenant's or agent's upload id as not found, and leaves it usable by its owner", async () => {
    const owner = await api.key({ surfaces: ['items'], agent: 'a-1' });
    const id = await uploadBytes(owner.key, Buffer.from('# notes\n\nowned by agent a-1'));
    const otherAgent = await api.key({ surfaces: ['items'], agent: 'a-2', tenant: owner.tenant });
    const tenantWide = await api.key({ surfaces: ['items'], tenant: owner.tenant });
    const otherTenant = await api.key({ surfaces: ['items'], agent: 'a-1' });
    for (const [who, scopeId] of [
      [otherAgent.key, 'a-2'],
      [tenantWide.key, 'a-1'],
      [otherTenant.key, 'a-1'],
    ] as const) {
      const res = await itemsClient(api.url, who).add({ scopeId, itemPath: '/stolen.md', upload: { id } });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('UPLOAD_NOT_FOUND');
    }
    expect((await itemsClient(api.url, owner.key).add({ itemPath: '/mine.md', upload: { id } })).status).toBe(201);
  });

  it('answers clear 4xx for ids never uploaded, malformed or unknown, mixed sources and oversize; a failed add gives the upload back', async () => {
    const { key, tenant } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const created = await createUpload(key, { size: 20 });
    const notPut = await items.add({ scope: 'company', itemPath: '/a.txt', upload: { id: created.body.uploadId } });
    expect(notPut.status).toBe(409);
    expect(notPut.body.error).toMatchObject({ code: 'UPLOAD_INCOMPLETE', message: expect.stringContaining('PUT the file') });

    const unknown = await items.add({ scope: 'company', itemPath: '/a.txt', upload: { id: 'ab'.repeat(16) } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('UPLOAD_NOT_FOUND');
    for (const id of ['../../etc', 'AB'.repeat(16), '']) {
      const bad = await items.add({ scope: 'company', itemPath: '/a.txt', upload: { id } });
      expect(bad.status).toBe(400);
    }
    expect((await items.add({ scope: 'company', itemPath: '/a.txt', upload: {} })).status).toBe(400);
    const both = await items.add({ scope: 'company', itemPath: '/a.txt', content: 'x', upload: { id: created.body.uploadId } });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/one of content, fileUrl or upload/);

    const tooBig = await createUpload(key, { size: config.fetchMaxBytes + 1 });
    expect(tooBig.status).toBe(413);
    for (const body of [{ size: -1 }, { size: 1.5 }, { size: '10' }, {}, { size: 10, contentType: 'not a type' }]) {
      expect((await createUpload(key, body)).status).toBe(400);
    }

    // the path is taken: the add fails, the upload stays usable for a retry with overwrite
    await items.add({ scope: 'company', itemPath: '/a.txt', content: 'first' });
    const id = await uploadBytes(key, Buffer.from('second version of a'));
    const taken = await items.add({ scope: 'company', itemPath: '/a.txt', upload: { id } });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('ITEM_EXISTS');
    expect(await exists(`items/uploads/${tenant}/-/${id}`)).toBe(true);
    expect((await items.add({ scope: 'company', itemPath: '/a.txt', upload: { id }, metadata: { overwrite: true } })).status).toBe(201);
    expect((await items.get({ scope: 'company', itemPath: '/a.txt' })).body.content).toBe('second version of a');
  });

  it('S3 refuses a PUT of another size than declared; the add then finds nothing uploaded', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const created = await createUpload(key, { size: 64 });
    const put = await fetch(created.body.url, {
      method: 'PUT',
      headers: { ...created.body.headers, 'content-length': '10' },
      body: Buffer.alloc(10),
    }).catch(() => undefined);
    expect(put?.ok ?? false).toBe(false);
    expect(
      (await itemsClient(api.url, key).add({ scope: 'company', itemPath: '/short.bin', upload: { id: created.body.uploadId } })).status,
    ).toBe(409);
  });
});

describe('large items indexed in the background (issue 17)', () => {
  it('answers a long inline text 202 pending at once; it becomes ready and searchable', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const text = longText(400_000, 350_000);
    const added = await items.add({ scope: 'company', itemPath: '/notes/ledger.md', content: text });
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ success: true, status: 'pending' });
    // taken while pending (and after)
    expect((await items.add({ scope: 'company', itemPath: '/notes/ledger.md', content: 'x' })).status).toBe(409);
    const status = await ready(items, { scope: 'company', itemPath: '/notes/ledger.md' });
    expect(status).toMatchObject({ status: 'ready', size: Buffer.byteLength(text) });
    expect(status.indexedChunks).toBeGreaterThan(config.syncIndexMaxChunks);
    expect((await items.get({ scope: 'company', itemPath: '/notes/ledger.md' })).body.content).toBe(text);
    const found = await items.search({ query: 'zebra migration telemetry collars', scope: 'company', minScore: 0.5 });
    expect(found.body.results[0]?.path).toBe('/notes/ledger.md');
  });

  it('keeps the seed example synchronous: add answers 201 ready and search finds it at once', async () => {
    const { key } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    for (const doc of SEED_DOCUMENTS) {
      const added = await items.add({
        scope: 'agent',
        scopeId: 'agent-123',
        itemPath: doc.path,
        content: doc.content,
        metadata: { contentType: 'text/markdown' },
      });
      expect(added).toMatchObject({ status: 201, body: { success: true, message: 'Item created', status: 'ready' } });
    }
    expect((await items.search({ query: SEED_QUERY, scope: 'agent', scopeId: 'agent-123' })).body.results[0].path).toBe(
      '/docs/authentication.md',
    );
  });

  it('marks an item whose stored bytes cannot be indexed failed with a safe message, and frees its path', async () => {
    const { key, tenant } = await api.key({ surfaces: ['items'] });
    const ref: ScopeRef = { tenant, scope: 'company', scopeId: '-' };
    const itemId = 'e0000000-0000-4000-8000-000000000000';
    const keys = entryKey(ref, '/notes/gone.md');
    const blobKey = `items/company/${tenant}/missing-object`;
    await putEntry(
      {
        ...keys,
        ...ref,
        itemId,
        status: 'pending',
        createdAt: new Date().toISOString(),
        metadata: {},
        blobKey,
        size: 500_000,
        expiresAt: Math.ceil(Date.now() / 1000) + 3600,
        expiryShard: expiryShard(itemId),
      },
      false,
    );
    const event = {
      Records: [{ eventName: 'INSERT', dynamodb: { Keys: { pk: { S: keys.pk }, sk: { S: keys.sk } } } }],
    } as unknown as DynamoDBStreamEvent;
    expect(await onManifestsChange(event)).toEqual({ batchItemFailures: [] });
    const items = itemsClient(api.url, key);
    const status = await items.status({ scope: 'company', itemPath: '/notes/gone.md' });
    expect(status.body).toEqual({
      path: '/notes/gone.md',
      status: 'failed',
      error: 'The item could not be stored or indexed (an internal error); add it again',
    });
    expect((await readEntry(ref, '/notes/gone.md'))?.blobKey).toBeUndefined();
    expect((await items.add({ scope: 'company', itemPath: '/notes/gone.md', content: 'again' })).status).toBe(201);
  });

  it('a pending item deleted before its indexing finishes stays deleted, with no bytes left', async () => {
    const { key, tenant } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const ref: ScopeRef = { tenant, scope: 'company', scopeId: '-' };
    expect((await items.add({ scope: 'company', itemPath: '/notes/brief.md', content: longText(300_000, 10) })).status).toBe(202);
    const pending = await readEntry(ref, '/notes/brief.md');
    expect((await items.remove({ scope: 'company', itemPath: '/notes/brief.md' })).status).toBe(200);
    await eventually(async () => ((await exists(pending?.blobKey as string)) ? undefined : true));
    expect((await items.status({ scope: 'company', itemPath: '/notes/brief.md' })).status).toBe(404);
    await eventually(async () => (ingestQueue.size === 0 ? true : undefined));
    expect((await items.search({ query: 'ledger reconciliation quarterly', scope: 'company', minScore: 0 })).body.results).toEqual([]);
    // also: bytes put at a blob key by the client cannot be claimed as an upload
    await s3Client().send(
      new PutObjectCommand({ Bucket: config.bucketName, Key: `items/uploads/${tenant}/-/${'cd'.repeat(16)}`, Body: 'x' }),
    );
    expect((await items.add({ scope: 'company', itemPath: '/x.md', upload: { id: 'cd'.repeat(16) } })).status).toBe(404);
  });
});
