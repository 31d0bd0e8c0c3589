import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { HttpRequest } from '@smithy/core/protocols';
import { documentClient, s3Client } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { keysUnder, twoDaysLater } from '../../support/bucket';
import { call, startTestApi, type TestApi } from '../../support/api';

/**
 * A delete racing confirms of one path (docs/sync.md, "Delete"): no interleaving may leave an
 * entry naming removed bytes, and an upload made before the delete is not recorded after it.
 * The interleavings are made deterministic by holding a confirm right after its tag request, at
 * the S3 client's HTTP handler the API (in this process) sends it through.
 */

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const DAY_MS = 86400 * 1000;
/** S3 stamps objects in whole seconds: waits until the clock is in a later second than now. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));

type Handler = { handle(request: HttpRequest, options?: unknown): Promise<unknown> };

/**
 * Holds the answer to the first tag-clearing request for a key containing `marker` until
 * `release()`: the confirm that sent it stops between its tag request and its manifest write.
 */
function holdAfterTagging(marker: string) {
  const handler = s3Client().config.requestHandler as unknown as Handler;
  const original = handler.handle;
  let armed = true;
  let reached = () => {};
  let release = () => {};
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  handler.handle = async function (this: Handler, request, options) {
    const answer = await original.call(this, request, options);
    if (armed && request.method === 'PUT' && 'tagging' in (request.query ?? {}) && request.path.includes(marker)) {
      armed = false;
      reached();
      await released;
    }
    return answer;
  };
  return {
    arrived,
    release() {
      handler.handle = original;
      release();
    },
  };
}

async function sign(key: string, files: Record<string, unknown>[]) {
  const res = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files } });
  expect(res.status).toBe(200);
  return res.body.data.urls as { url: string; headers: Record<string, string>; uploadId?: string }[];
}

/** Presigns a put with hash and size and uploads it: what the CLI does. */
async function directPut(key: string, path: string, bytes: Buffer) {
  const [signed] = await sign(key, [{ path, operation: 'put', hash: sha256(bytes), size: bytes.length }]);
  expect((await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: bytes })).status).toBe(200);
  return { filePath: path, hash: sha256(bytes), size: bytes.length, uploadId: signed.uploadId as string };
}

/** A seed client's plain PUT (no hash): staged, confirmed without an upload id. */
async function plainPut(key: string, path: string, bytes: Buffer) {
  const [signed] = await sign(key, [{ path, operation: 'put' }]);
  expect((await fetch(signed.url, { method: 'PUT', body: bytes })).status).toBe(200);
  return { filePath: path, hash: sha256(bytes), size: bytes.length };
}

const confirm = (key: string, body: unknown) => call(api.url, 'POST', '/agent/sync/confirm', { key, body });
const remove = (key: string, path: string) => call(api.url, 'DELETE', `/agent/sync/files/${path}`, { key });

async function listed(key: string) {
  const res = await call(api.url, 'GET', '/agent/sync/files', { key });
  expect(res.status).toBe(200);
  return res.body.data.files as { path: string; hash: string }[];
}

/** Every listed file downloads from a full restore with the listed hash: no entry names removed bytes. */
async function expectRestorable(key: string) {
  const files = await listed(key);
  const bundle = await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: { mode: 'full' } });
  expect(bundle.status).toBe(200);
  const downloads = await Promise.all(
    bundle.body.data.files.map(async (f: { path: string; url: string }) => {
      const res = await fetch(f.url);
      return { path: f.path, status: res.status, hash: sha256(Buffer.from(await res.arrayBuffer())) };
    }),
  );
  expect(downloads).toEqual(files.map((f) => ({ path: f.path, status: 200, hash: f.hash })));
}

const DELETED = /deleted after this upload was made/;

describe('workspace sync: a delete racing confirms of the same path', () => {
  it('a retried confirm held between its tag request and its manifest write while the file is deleted is refused (batch)', async () => {
    const { key, tenant } = await agentKey();
    const gone = await directPut(key, 'gone.md', Buffer.from('to be deleted'));
    const side = await directPut(key, 'side.md', Buffer.from('beside it'));
    const hold = holdAfterTagging(gone.uploadId);
    // the client's confirm stops after clearing the tag; its answer is late, so the client confirms again
    const first = confirm(key, { files: [gone, side] });
    await hold.arrived;
    const retry = await confirm(key, gone);
    expect([retry.status, retry.body.data?.status]).toEqual([200, 'confirmed']);
    expect((await remove(key, 'gone.md')).body.data).toEqual({ removed: true });
    hold.release();
    const late = await first;
    expect(late.status).toBe(200);
    await expectRestorable(key);
    expect(late.body.data.results.map((r: { status: string; error?: { message: string } }) => [r.status, r.error?.message])).toEqual([
      ['conflict', expect.stringMatching(DELETED)],
      ['confirmed', undefined],
    ]);
    expect((await listed(key)).map((f) => f.path)).toEqual(['side.md']);
    const get = await sign(key, [{ path: 'gone.md', operation: 'get' }]);
    expect(get[0]).toMatchObject({ status: 404 });
    expect(await twoDaysLater(tenant)).toEqual([]);
    expect(await keysUnder(`sync/${tenant}/alpha/`)).toEqual([expect.stringContaining(side.uploadId)]);
  });

  it('a single confirm of a put presigned before the delete is a 409 after it; a put presigned after the delete is recorded', async () => {
    const { key, tenant } = await agentKey();
    expect((await confirm(key, await directPut(key, 'f.md', Buffer.from('one')))).status).toBe(200);
    const before = await directPut(key, 'f.md', Buffer.from('two, uploaded before the delete'));
    expect((await remove(key, 'f.md')).body.data).toEqual({ removed: true });
    const late = await confirm(key, before);
    expect([late.status, late.body.error?.code, late.body.error?.message]).toEqual([409, 'CONFLICT', expect.stringMatching(DELETED)]);
    expect(await listed(key)).toEqual([]);
    expect((await remove(key, 'f.md')).body.data).toEqual({ removed: false });
    // what the delete left: a tombstone without content, which DynamoDB's TTL removes after a week
    const { Item } = await documentClient().send(
      new GetCommand({ TableName: config.tableName('manifests'), Key: { pk: `T#${tenant}#SYNC#alpha`, sk: 'F#f.md' } }),
    );
    expect(Item).toEqual({
      pk: expect.any(String),
      sk: 'F#f.md',
      d: expect.any(String),
      u: expect.any(String),
      expiresAt: expect.any(Number),
    });
    expect((Item?.expiresAt as number) * 1000 - Date.now()).toBeGreaterThan(6 * DAY_MS);

    const after = await directPut(key, 'f.md', Buffer.from('three, uploaded after the delete'));
    const recorded = await confirm(key, after);
    expect([recorded.status, recorded.body.data.status]).toEqual([200, 'confirmed']);
    // the refused put, still tagged unconfirmed, expires; the recorded one stays
    expect(await twoDaysLater(tenant)).toEqual([expect.stringContaining(before.uploadId)]);
    expect(await keysUnder(`sync/${tenant}/alpha/`)).toEqual([expect.stringContaining(after.uploadId)]);
    expect((await confirm(key, before)).status).toBe(409);
    await expectRestorable(key);
    const stats = (await call(api.url, 'GET', '/agent/sync/stats', { key })).body.data;
    expect(stats).toMatchObject({ fileCount: 1, totalSize: after.size });
  });

  it("a seed client's retried confirm of a staged put is refused after the file was deleted; a new upload is recorded", async () => {
    const { key } = await agentKey();
    const seed = await plainPut(key, 'seed.md', Buffer.from('seed bytes'));
    expect((await confirm(key, seed)).status).toBe(200);
    expect((await remove(key, 'seed.md')).body.data).toEqual({ removed: true });
    const retried = await confirm(key, { files: [seed] });
    expect(retried.body.data.results).toEqual([
      expect.objectContaining({ status: 'conflict', error: expect.objectContaining({ message: expect.stringMatching(DELETED) }) }),
    ]);
    expect(await listed(key)).toEqual([]);

    await nextSecond();
    const again = await plainPut(key, 'seed.md', Buffer.from('seed bytes'));
    expect((await confirm(key, again)).body.data.status).toBe('confirmed');
    await expectRestorable(key);
  });

  it('a multipart upload completed before the delete is not recorded after it', async () => {
    const { key, tenant } = await agentKey();
    const big = Buffer.from('a small file sent as one part');
    const [plan] = (await sign(key, [{ path: 'big.bin', operation: 'multipart', hash: sha256(big), size: big.length }])) as unknown as {
      uploadId: string;
      parts: { url: string; headers: Record<string, string> }[];
    }[];
    const part = await fetch(plan.parts[0].url, { method: 'PUT', headers: plan.parts[0].headers, body: big });
    expect(part.status).toBe(200);
    const done = await call(api.url, 'POST', '/agent/sync/multipart/complete', {
      key,
      body: { path: 'big.bin', uploadId: plan.uploadId, parts: [{ partNumber: 1, etag: part.headers.get('etag') }] },
    });
    expect(done.status).toBe(200);
    expect((await confirm(key, await directPut(key, 'big.bin', Buffer.from('another device')))).status).toBe(200);
    expect((await remove(key, 'big.bin')).body.data).toEqual({ removed: true });
    const late = await confirm(key, { filePath: 'big.bin', hash: sha256(big), size: big.length, uploadId: plan.uploadId });
    expect([late.status, late.body.error?.message]).toEqual([409, expect.stringMatching(DELETED)]);
    expect(await listed(key)).toEqual([]);
    // the refused upload stays tagged unconfirmed and expires
    expect(await twoDaysLater(tenant)).toHaveLength(1);
    expect(await keysUnder(`sync/${tenant}/alpha/`)).toEqual([]);
  });
});

describe('workspace sync: another device recording the same content at the same moment', () => {
  it('leaves no direct put untagged and unnamed: once its day has passed only the named object is left', async () => {
    const { key, tenant } = await agentKey();
    const bytes = Buffer.from('the same content');
    const direct = await directPut(key, 'same.md', bytes);
    const hold = holdAfterTagging(direct.uploadId);
    const first = confirm(key, direct);
    await hold.arrived;
    // a seed client records the same content for the path meanwhile
    expect((await confirm(key, await plainPut(key, 'same.md', bytes))).body.data.status).toBe('confirmed');
    hold.release();
    expect((await first).body.data).toMatchObject({ status: 'unchanged', hash: sha256(bytes) });
    expect((await confirm(key, direct)).body.data.status).toBe('unchanged');
    await twoDaysLater(tenant);
    expect(await keysUnder(`sync/${tenant}/alpha/`)).toHaveLength(1);
    await expectRestorable(key);
  });
});

async function agentKey(agent = 'alpha') {
  return await api.key({ agent, surfaces: ['sync'] });
}
