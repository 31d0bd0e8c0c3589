import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { expireUnconfirmedUploads } from '../../../local/upload-expiry';
import { keysUnder, twoDaysLater } from '../../support/bucket';
import { call, startTestApi, type TestApi } from '../../support/api';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** The tags of an object, as `key=value`. */
const tagsOf = async (key: string) =>
  ((await s3Client().send(new GetObjectTaggingCommand({ Bucket: config.bucketName, Key: key }))).TagSet ?? []).map(
    (t) => `${t.Key}=${t.Value}`,
  );

async function agentKey(agent = 'alpha', tenant?: string) {
  return await api.key({ agent, tenant, surfaces: ['sync'] });
}

/** The upload id each presign answered, per key, path and content: what a client keeps for its confirm. */
const uploadIds = new Map<string, string>();
const uploadSlot = (key: string, path: string, bytes: Buffer) => `${key}\0${path}\0${sha256(bytes)}`;

async function presignPut(key: string, path: string, bytes: Buffer) {
  const res = await call(api.url, 'POST', '/agent/sync/presign', {
    key,
    body: { files: [{ path, operation: 'put', contentType: 'application/octet-stream', hash: sha256(bytes), size: bytes.length }] },
  });
  expect(res.status).toBe(200);
  const signed = res.body.data.urls[0] as { url: string; headers: Record<string, string>; uploadId: string };
  uploadIds.set(uploadSlot(key, path, bytes), signed.uploadId);
  return signed;
}

function put(signed: { url: string; headers: Record<string, string> }, bytes: Buffer, headers = signed.headers) {
  return fetch(signed.url, { method: 'PUT', headers, body: bytes });
}

async function upload(key: string, path: string, bytes: Buffer) {
  const res = await put(await presignPut(key, path, bytes), bytes);
  expect(res.status).toBe(200);
}

/** Confirms the last upload presigned for this content of the path (without an id when there was none). */
async function confirm(key: string, path: string, bytes: Buffer) {
  const uploadId = uploadIds.get(uploadSlot(key, path, bytes));
  return call(api.url, 'POST', '/agent/sync/confirm', {
    key,
    body: { filePath: path, hash: sha256(bytes), size: bytes.length, ...(uploadId ? { uploadId } : {}) },
  });
}

async function manifest(key: string) {
  const res = await call(api.url, 'GET', '/agent/sync/manifest', { key });
  expect(res.status).toBe(200);
  return res.body.data;
}

describe('workspace sync: upload, confirm, manifest', () => {
  it('registers repeatedly, records a confirmed upload and bumps the version', async () => {
    const { key } = await agentKey();
    const first = await call(api.url, 'POST', '/agent/sync/register', { key, body: { displayName: 'My Agent' } });
    expect(first.status).toBe(200);
    expect(first.body.data.agent).toMatchObject({
      agentId: 'alpha',
      displayName: 'My Agent',
      status: 'registered',
      fileCount: 0,
      totalSize: 0,
      lastSync: null,
    });
    const bytes = Buffer.from('# todo\n');
    await upload(key, 'notes/todo.md', bytes);
    const confirmed = await confirm(key, 'notes/todo.md', bytes);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.data).toMatchObject({ filePath: 'notes/todo.md', status: 'confirmed', size: bytes.length });
    const m = await manifest(key);
    expect(m.version).toBe(1);
    expect(m.agentId).toBe('alpha');
    expect(m.files['notes/todo.md']).toMatchObject({ hash: sha256(bytes), size: bytes.length });
    const again = await confirm(key, 'notes/todo.md', bytes);
    expect(again.body.data.status).toBe('unchanged');
    const upper = await call(api.url, 'POST', '/agent/sync/confirm', {
      key,
      body: { filePath: 'notes/todo.md', hash: sha256(bytes).toUpperCase(), size: bytes.length },
    });
    expect(upper.body.data).toMatchObject({ status: 'unchanged', hash: sha256(bytes) });
    expect((await manifest(key)).version).toBe(1);
    const second = await call(api.url, 'POST', '/agent/sync/register', { key, body: {} });
    expect(second.body.data.agent).toMatchObject({ displayName: 'My Agent', status: 'synced', fileCount: 1, totalSize: bytes.length });
  });

  it('refuses a confirm without upload, with a wrong hash or size (409), leaving the manifest unchanged', async () => {
    const { key } = await agentKey();
    const bytes = Buffer.from('hello');
    const missing = await confirm(key, 'a.txt', bytes);
    expect(missing.status).toBe(409);
    expect(missing.body.error.message).toMatch(/no uploaded object/);
    await upload(key, 'a.txt', bytes);
    await confirm(key, 'a.txt', bytes);
    const before = await manifest(key);
    const wrongHash = await call(api.url, 'POST', '/agent/sync/confirm', {
      key,
      body: { filePath: 'a.txt', hash: sha256('other'), size: bytes.length },
    });
    expect(wrongHash.status).toBe(409);
    expect(wrongHash.body.error.message).toMatch(/SHA-256/);
    const wrongSize = await call(api.url, 'POST', '/agent/sync/confirm', {
      key,
      body: { filePath: 'a.txt', hash: sha256(bytes), size: 6 },
    });
    expect(wrongSize.status).toBe(409);
    // the put was presigned with its hash and size: its staged key names both, so a confirm of another size finds nothing
    expect(wrongSize.body.error.message).toMatch(/no uploaded object with this SHA-256 and size/);
    const unsized = await call(api.url, 'POST', '/agent/sync/presign', {
      key,
      body: { files: [{ path: 'b.txt', operation: 'put', hash: sha256(bytes) }] },
    });
    expect((await put(unsized.body.data.urls[0], bytes)).status).toBe(200);
    const wrongSizeUnsized = await call(api.url, 'POST', '/agent/sync/confirm', {
      key,
      body: { filePath: 'b.txt', hash: sha256(bytes), size: 6 },
    });
    expect([wrongSizeUnsized.status, wrongSizeUnsized.body.error.message]).toEqual([409, expect.stringMatching(/5 bytes, not 6/)]);
    expect(await manifest(key)).toEqual(before);
    expect((await confirm(key, 'b.txt', bytes)).body.data.status).toBe('confirmed');
  });

  it('confirms a batch with per-file results', async () => {
    const { key } = await agentKey();
    const a = Buffer.from('a');
    const b = Buffer.from('b');
    await upload(key, 'x/a', a);
    const res = await call(api.url, 'POST', '/agent/sync/confirm', {
      key,
      body: {
        files: [
          { filePath: 'x/a', hash: sha256(a), size: 1, uploadId: uploadIds.get(uploadSlot(key, 'x/a', a)) },
          { filePath: 'x/b', hash: sha256(b), size: 1 },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.results.map((r: { status: string }) => r.status)).toEqual(['confirmed', 'conflict']);
    expect(Object.keys((await manifest(key)).files)).toEqual(['x/a']);
  });
});

describe('workspace sync: concurrent writers', () => {
  it('keeps the header counters exact when many confirms and deletes of one agent race', async () => {
    const { key } = await agentKey();
    const files = Array.from({ length: 12 }, (_, i) => ({ path: `race/${i}.txt`, bytes: Buffer.from(`file ${i}`) }));
    for (const f of files) await upload(key, f.path, f.bytes);
    const [doomed, added] = [files.slice(0, 4), files.slice(4)];
    expect((await Promise.all(doomed.map((f) => confirm(key, f.path, f.bytes)))).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    // the deletes of four files and the confirms of eight others, all at once
    const [confirms, deletes] = await Promise.all([
      Promise.all(added.map((f) => confirm(key, f.path, f.bytes))),
      Promise.all(doomed.map((f) => call(api.url, 'DELETE', `/agent/sync/files/${f.path}`, { key }))),
    ]);
    expect(confirms.map((r) => r.status)).toEqual(added.map(() => 200));
    expect(deletes.map((r) => r.body.data.removed)).toEqual([true, true, true, true]);
    expect(Object.keys((await manifest(key)).files).sort()).toEqual(added.map((f) => f.path).sort());
    const stats = (await call(api.url, 'GET', '/agent/sync/stats', { key })).body.data;
    expect(stats).toMatchObject({ fileCount: 8, totalSize: files.slice(4).reduce((n, f) => n + f.bytes.length, 0), version: 16 });
  });
});

/** A small seeded generator (mulberry32): the same rounds on every run. */
function seeded(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('workspace sync: devices confirming one path at the same moment', () => {
  it('never leave the entry naming bytes that were removed (A→B→A flips, truly concurrent, seeded)', async () => {
    const { key } = await agentKey();
    const random = seeded(11);
    const contents = ['A', 'B', 'C'].map((c) => Buffer.from(`content ${c}`));
    await upload(key, 'shared.md', contents[0]);
    expect((await confirm(key, 'shared.md', contents[0])).status).toBe(200);
    for (let round = 0; round < 12; round++) {
      // every device has uploaded its content; then they all confirm at once
      for (const c of contents) await upload(key, 'shared.md', c);
      const picks = Array.from({ length: 8 }, () => contents[Math.floor(random() * contents.length)]);
      const confirms = await Promise.all(picks.map((c) => confirm(key, 'shared.md', c)));
      expect(confirms.map((r) => r.status).filter((s) => s !== 200 && s !== 409)).toEqual([]);
      const entry = (await manifest(key)).files['shared.md'];
      const got = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: [{ path: 'shared.md', operation: 'get' }] } });
      const res = await fetch(got.body.data.urls[0].url);
      const body = Buffer.from(await res.arrayBuffer());
      expect({ round, status: res.status, hash: sha256(body) }).toEqual({ round, status: 200, hash: entry.hash });
    }
  });
});

describe('workspace sync: presigned URLs', () => {
  it('signs the checksum and length as headers, and a put URL cannot write another path', async () => {
    const { key } = await agentKey();
    const bytes = Buffer.from('bound to one path');
    const signed = await presignPut(key, 'one.txt', bytes);
    const query = new URL(signed.url).searchParams;
    expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'x-amz-checksum-sha256', 'host']),
    );
    expect(signed.headers['x-amz-checksum-sha256']).toBe(Buffer.from(sha256(bytes), 'hex').toString('base64'));
    const other = signed.url.replace(sha256('one.txt'), sha256('two.txt'));
    expect(other).not.toBe(signed.url);
    expect((await put({ ...signed, url: other }, bytes)).status).toBe(403);
    const longer = Buffer.from('bound to one path!');
    expect([400, 403]).toContain((await put(signed, longer, { ...signed.headers, 'content-length': String(longer.length) })).status);
    expect((await confirm(key, 'two.txt', bytes)).status).toBe(409);
  });

  it('an expired URL is refused by the emulator', async () => {
    const { key } = await agentKey();
    const bytes = Buffer.from('late');
    process.env.SATCHEL_PRESIGN_TTL_SECONDS = '1';
    try {
      const signed = await presignPut(key, 'late.txt', bytes);
      await new Promise((r) => setTimeout(r, 2100));
      const res = await put(signed, bytes);
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/expired/i);
    } finally {
      delete process.env.SATCHEL_PRESIGN_TTL_SECONDS;
    }
  });

  it('gives get URLs only for paths in the manifest', async () => {
    const { key } = await agentKey();
    const bytes = Buffer.from('readable');
    await upload(key, 'r.txt', bytes);
    await confirm(key, 'r.txt', bytes);
    const res = await call(api.url, 'POST', '/agent/sync/presign', {
      key,
      body: {
        files: [
          { path: 'r.txt', operation: 'get' },
          { path: 'nope.txt', operation: 'get' },
        ],
      },
    });
    const [found, missing] = res.body.data.urls;
    expect(found).toMatchObject({ path: 'r.txt', method: 'GET', hash: sha256(bytes), size: bytes.length });
    expect(Buffer.from(await (await fetch(found.url)).arrayBuffer())).toEqual(bytes);
    expect(missing).toMatchObject({ path: 'nope.txt', status: 404 });
  });
});

describe('workspace sync: staged uploads', () => {
  const restored = async (key: string, path: string) => {
    const bundle = await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: { mode: 'full' } });
    const file = bundle.body.data.files.find((f: { path: string }) => f.path === path);
    const got = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: [{ path, operation: 'get' }] } });
    const viaGet = Buffer.from(await (await fetch(got.body.data.urls[0].url)).arrayBuffer());
    const viaBundle = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    expect(viaGet).toEqual(viaBundle);
    return viaBundle.toString();
  };

  it('an upload that is never confirmed, fails or is cut short changes nothing a restore returns', async () => {
    const { key } = await agentKey();
    const v1 = Buffer.from('version one');
    await upload(key, 'notes/a.md', v1);
    expect((await confirm(key, 'notes/a.md', v1)).status).toBe(200);

    // a put presigned without a hash, other bytes, never confirmed
    const loose = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: [{ path: 'notes/a.md', operation: 'put' }] } });
    expect((await put(loose.body.data.urls[0], Buffer.from('unconfirmed bytes'))).status).toBe(200);
    expect(await restored(key, 'notes/a.md')).toBe('version one');

    // a put presigned with the live content's hash cannot store other bytes
    const same = await presignPut(key, 'notes/a.md', v1);
    const forged = Buffer.from('other bytes');
    expect((await put(same, forged, { ...same.headers, 'content-length': String(forged.length) })).status).toBeGreaterThanOrEqual(400);
    const sameLength = Buffer.from('VERSION ONE');
    expect((await put(same, sameLength)).status).toBe(400);
    expect(await restored(key, 'notes/a.md')).toBe('version one');

    // an upload cut short halfway
    await new Promise<void>((resolve) => {
      const req = request(same.url, { method: 'PUT', headers: same.headers });
      req.on('error', () => resolve());
      req.write(v1.subarray(0, 4), () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50),
      );
    });
    expect(await restored(key, 'notes/a.md')).toBe('version one');

    // new content uploaded but not confirmed
    const v2 = Buffer.from('version two');
    await upload(key, 'notes/a.md', v2);
    expect(await restored(key, 'notes/a.md')).toBe('version one');
    expect((await manifest(key)).files['notes/a.md'].hash).toBe(sha256(v1));

    // confirmed: now it is what restores return
    expect((await confirm(key, 'notes/a.md', v2)).status).toBe(200);
    expect(await restored(key, 'notes/a.md')).toBe('version two');
  });

  it('an upload never confirmed stays tagged unconfirmed or staged and leaves nothing once its day has passed; confirmed files stay', async () => {
    const { key, tenant } = await agentKey();
    const kept = Buffer.from('kept');
    await upload(key, 'kept.md', kept);
    expect((await confirm(key, 'kept.md', kept)).status).toBe(200);
    await upload(key, 'orphan.md', Buffer.from('hashed, never confirmed'));
    await upload(key, 'kept.md', Buffer.from('new content, never confirmed'));
    const seed = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: [{ path: 'seed.md', operation: 'put' }] } });
    expect((await put(seed.body.data.urls[0], Buffer.from('seed bytes, never confirmed'))).status).toBe(200);

    // puts with hash and size went to keys of their own, tagged until a confirm; the seed put is staged
    const uploaded = await keysUnder(`sync/${tenant}/alpha/`);
    expect(uploaded).toHaveLength(3);
    const tags = await Promise.all(uploaded.map(tagsOf));
    expect(tags.filter((t) => t.length === 0)).toHaveLength(1); // the confirmed one
    const staged = await keysUnder(`incoming/${tenant}/alpha/`);
    expect(staged).toHaveLength(1);
    expect(await expireUnconfirmedUploads({ tenant })).toEqual([]); // not before their day
    const removed = await twoDaysLater(tenant);
    expect(removed.sort()).toEqual([...staged, ...uploaded.filter((_, i) => tags[i].length > 0)].sort());
    expect(await keysUnder(`incoming/${tenant}/`)).toEqual([]);
    expect(await keysUnder(`sync/${tenant}/alpha/`)).toHaveLength(1);
    expect(await restored(key, 'kept.md')).toBe('kept');
  });

  it('expires staged uploads of a workspace with more than 1,000 of them (the emulator lists past one page)', async () => {
    const tenant = `t-many-${Date.now().toString(36)}`;
    const keys = Array.from({ length: 1001 }, (_, i) => `incoming/${tenant}/alpha/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map((Key) => s3Client().send(new PutObjectCommand({ Bucket: config.bucketName, Key, Body: 'x' }))),
      );
    }
    expect(await keysUnder(`incoming/${tenant}/`)).toEqual(keys);
    expect((await twoDaysLater(tenant)).sort()).toEqual(keys);
    expect(await keysUnder(`incoming/${tenant}/`)).toEqual([]);
  });

  it("a seed client's plain PUT (no hash, no contentType) accepts any Content-Type and is confirmed from staging", async () => {
    const { key } = await agentKey();
    const bytes = Buffer.from('# plain\n');
    const res = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: [{ path: 'plain.md', operation: 'put' }] } });
    const signed = res.body.data.urls[0];
    expect(signed.headers).toEqual({});
    for (const type of ['text/markdown', 'application/octet-stream', 'text/plain;charset=UTF-8']) {
      expect((await fetch(signed.url, { method: 'PUT', headers: { 'content-type': type }, body: bytes })).status).toBe(200);
    }
    expect((await fetch(signed.url, { method: 'PUT', body: bytes })).status).toBe(200);
    expect(await restored(key, 'plain.md').catch(() => 'not restorable')).toBe('not restorable');
    expect((await confirm(key, 'plain.md', bytes)).status).toBe(200);
    expect(await restored(key, 'plain.md')).toBe('# plain\n');
    // declared types stay signed
    const typed = await call(api.url, 'POST', '/agent/sync/presign', {
      key,
      body: { files: [{ path: 'typed.md', operation: 'put', contentType: 'text/markdown' }] },
    });
    const t = typed.body.data.urls[0];
    expect((await fetch(t.url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: bytes })).status).toBe(403);
    expect((await fetch(t.url, { method: 'PUT', headers: t.headers, body: bytes })).status).toBe(200);
  });

  describe('a put presigned with hash and size goes straight to a key of its own', () => {
    const presignDirect = async (key: string, path: string, bytes: Buffer) => {
      const signed = await presignPut(key, path, bytes);
      expect(signed.uploadId).toMatch(/^p-[0-9a-f]{24}$/);
      expect(signed.headers).toMatchObject({ 'x-amz-tagging': 'satchel-upload=unconfirmed', 'if-none-match': '*' });
      return signed;
    };

    it('is tagged unconfirmed and never restored until its confirm, which clears the tag and names that object (no copy)', async () => {
      const { key, tenant } = await agentKey();
      const v1 = Buffer.from('direct one');
      await upload(key, 'd.md', v1);
      expect((await confirm(key, 'd.md', v1)).status).toBe(200);
      const v2 = Buffer.from('direct two, not confirmed yet');
      const signed = await presignDirect(key, 'd.md', v2);
      expect((await put(signed, v2)).status).toBe(200);
      const keys = await keysUnder(`sync/${tenant}/alpha/`);
      expect(keys).toHaveLength(2);
      const pending = keys.find((k) => k.includes(signed.uploadId)) as string;
      expect(await tagsOf(pending)).toEqual(['satchel-upload=unconfirmed']);
      expect(await restored(key, 'd.md')).toBe('direct one');
      expect((await manifest(key)).files['d.md'].hash).toBe(sha256(v1));

      expect((await confirm(key, 'd.md', v2)).status).toBe(200);
      expect(await tagsOf(pending)).toEqual([]);
      expect(await restored(key, 'd.md')).toBe('direct two, not confirmed yet');
      // the uploaded object itself is live: the replaced one is gone and nothing was copied
      expect(await keysUnder(`sync/${tenant}/alpha/`)).toEqual([pending]);
      expect(await keysUnder(`incoming/${tenant}/`)).toEqual([]);
      expect(await twoDaysLater(tenant)).toEqual([]);
      expect(await restored(key, 'd.md')).toBe('direct two, not confirmed yet');
    });

    it('refuses a replayed URL (412), before and after the confirm, and the confirmed object stays untagged', async () => {
      const { key, tenant } = await agentKey();
      const bytes = Buffer.from('replayed');
      const signed = await presignDirect(key, 'r.md', bytes);
      expect((await put(signed, bytes)).status).toBe(200);
      const early = await put(signed, bytes);
      expect([early.status, await early.text()]).toEqual([412, expect.stringContaining('PreconditionFailed')]);
      expect((await confirm(key, 'r.md', bytes)).status).toBe(200);
      const late = await put(signed, bytes);
      expect(late.status).toBe(412);
      const live = (await keysUnder(`sync/${tenant}/`)).find((k) => k.includes(signed.uploadId)) as string;
      expect(await tagsOf(live)).toEqual([]);
      // no lifecycle run removes it, and it restores
      expect(await twoDaysLater(tenant)).toEqual([]);
      expect(await restored(key, 'r.md')).toBe('replayed');
    });

    it('stores no tampered body: other bytes of the same length (400), another length (refused), without the tag (403)', async () => {
      const { key, tenant } = await agentKey();
      const bytes = Buffer.from('the real bytes');
      const signed = await presignDirect(key, 't.md', bytes);
      expect((await put(signed, Buffer.from('THE REAL BYTES'))).status).toBe(400);
      const longer = Buffer.from('the real bytes, and more');
      expect((await put(signed, longer, { ...signed.headers, 'content-length': String(longer.length) })).status).toBeGreaterThanOrEqual(
        400,
      );
      const { 'x-amz-tagging': _tag, ...untagged } = signed.headers;
      expect((await put(signed, bytes, untagged)).status).toBe(403);
      const { 'if-none-match': _condition, ...unconditional } = signed.headers;
      expect((await put(signed, bytes, unconditional)).status).toBe(403);
      expect(await keysUnder(`sync/${tenant}/alpha/`)).toEqual([]);
      expect((await confirm(key, 't.md', bytes)).status).toBe(409);
      expect((await manifest(key)).files).toEqual({});
    });

    it("a confirm without the upload (or with another size) is that file's conflict; the other files of the batch go through", async () => {
      const { key } = await agentKey();
      const sent = Buffer.from('uploaded');
      const never = Buffer.from('presigned, never uploaded');
      await upload(key, 'sent.md', sent);
      const unsent = await presignDirect(key, 'never.md', never);
      const res = await call(api.url, 'POST', '/agent/sync/confirm', {
        key,
        body: {
          files: [
            { filePath: 'never.md', hash: sha256(never), size: never.length, uploadId: unsent.uploadId },
            { filePath: 'sent.md', hash: sha256(sent), size: sent.length + 1, uploadId: uploadIds.get(uploadSlot(key, 'sent.md', sent)) },
          ],
        },
      });
      expect(res.body.data.results.map((r: { status: string; error?: { message: string } }) => [r.status, r.error?.message])).toEqual([
        ['conflict', expect.stringMatching(/no uploaded object/)],
        ['conflict', expect.stringMatching(/no uploaded object/)],
      ]);
      const ok = await call(api.url, 'POST', '/agent/sync/confirm', {
        key,
        body: {
          files: [
            { filePath: 'never.md', hash: sha256(never), size: never.length, uploadId: unsent.uploadId },
            { filePath: 'sent.md', hash: sha256(sent), size: sent.length, uploadId: uploadIds.get(uploadSlot(key, 'sent.md', sent)) },
          ],
        },
      });
      expect(ok.body.data.results.map((r: { status: string }) => r.status)).toEqual(['conflict', 'confirmed']);
      expect(Object.keys((await manifest(key)).files)).toEqual(['sent.md']);
      expect(await restored(key, 'sent.md')).toBe('uploaded');
    });

    it('a put is named by one entry ever: its confirm repeated after the path moved on is refused, and so is an older upload', async () => {
      const { key } = await agentKey();
      const a = Buffer.from('content A');
      const b = Buffer.from('content B');
      const first = await presignDirect(key, 'p.md', a);
      const second = await presignDirect(key, 'p.md', b);
      expect((await put(first, a)).status).toBe(200);
      expect((await put(second, b)).status).toBe(200);
      const confirmA = { filePath: 'p.md', hash: sha256(a), size: a.length, uploadId: first.uploadId };
      expect((await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmA })).status).toBe(200);
      expect((await confirm(key, 'p.md', b)).status).toBe(200); // presigned later: replaces A, whose object is removed
      const again = await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmA });
      expect([again.status, again.body.error?.message]).toEqual([409, expect.stringMatching(/already recorded/)]);
      expect(await restored(key, 'p.md')).toBe('content B');

      // an upload presigned before the recorded one cannot replace it
      const older = await presignDirect(key, 'q.md', a);
      const newer = await presignDirect(key, 'q.md', b);
      expect((await put(older, a)).status).toBe(200);
      expect((await put(newer, b)).status).toBe(200);
      expect((await confirm(key, 'q.md', b)).status).toBe(200);
      const stale = await call(api.url, 'POST', '/agent/sync/confirm', {
        key,
        body: { filePath: 'q.md', hash: sha256(a), size: a.length, uploadId: older.uploadId },
      });
      expect(stale.status).toBe(409);
      expect(await restored(key, 'q.md')).toBe('content B');
    });
  });
});

describe('workspace sync: isolation', () => {
  it("agent A's key cannot presign, read, confirm, list or delete agent B's files; other tenants get 404", async () => {
    const { key: keyB, tenant } = await agentKey('bravo');
    const { key: keyA } = await agentKey('alpha', tenant);
    const { key: tenantWide } = await api.key({ tenant, surfaces: ['sync'] });
    const { key: stranger } = await api.key({ surfaces: ['sync'] });
    const bytes = Buffer.from('secret of bravo');
    await upload(keyB, 'secret.md', bytes);
    expect((await confirm(keyB, 'secret.md', bytes)).status).toBe(200);

    const asB = { 'x-satchel-agent': 'bravo' };
    const attempts: [string, string, unknown?][] = [
      ['GET', '/agent/sync/manifest'],
      ['GET', '/agent/sync/files'],
      ['GET', '/agent/sync/stats'],
      ['GET', '/agent/sync/sessions'],
      ['POST', '/agent/sync/presign', { files: [{ path: 'secret.md', operation: 'get' }] }],
      ['POST', '/agent/sync/confirm', { filePath: 'secret.md', hash: sha256(bytes), size: bytes.length }],
      ['POST', '/agent/sync/reconstruct', { mode: 'full' }],
      ['DELETE', '/agent/sync/files/secret.md'],
    ];
    for (const [method, path, body] of attempts) {
      expect([method, path, (await call(api.url, method, path, { key: keyA, body, headers: asB })).status]).toEqual([method, path, 404]);
      const query = path.includes('?') ? '&' : '?';
      expect((await call(api.url, method, `${path}${query}agentId=bravo`, { key: keyA, body })).status).toBe(404);
    }
    // A's own view holds nothing of B's
    expect((await manifest(keyA)).files).toEqual({});
    const presigned = await call(api.url, 'POST', '/agent/sync/presign', {
      key: keyA,
      body: { files: [{ path: 'secret.md', operation: 'get' }] },
    });
    expect(presigned.body.data.urls[0].status).toBe(404);
    expect((await call(api.url, 'DELETE', '/agent/sync/files/secret.md', { key: keyA })).body.data).toEqual({ removed: false });
    // another tenant's key, even naming the agent, sees nothing
    const foreign = await call(api.url, 'GET', '/agent/sync/manifest', { key: stranger, headers: asB });
    expect(foreign.body.data.files).toEqual({});
    // the tenant-wide key names the agent and sees its files; without a name it is told how
    expect(Object.keys((await call(api.url, 'GET', '/agent/sync/manifest', { key: tenantWide, headers: asB })).body.data.files)).toEqual([
      'secret.md',
    ]);
    const unnamed = await call(api.url, 'GET', '/agent/sync/manifest', { key: tenantWide });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.error.message).toMatch(/x-satchel-agent/);
    expect(Object.keys((await manifest(keyB)).files)).toEqual(['secret.md']);
  });
});

describe('workspace sync: bad input', () => {
  const badPaths: [string, RegExp][] = [
    ['/abs.md', /absolute/],
    ['a/../b.md', /"\.\." segment/],
    ['./a.md', /"\." segment/],
    ['a//b.md', /empty segment/],
    ['a\u0001b', /control character/],
    ['dir/', /ends with/],
    ['', /empty/],
    ['e\u0301.md', /NFC/],
    // the manifest's sort key F#<path> holds 1,024 bytes: longer paths could never be confirmed
    ['x'.repeat(1023), /1022 bytes/],
    ['é'.repeat(512), /1022 bytes/],
    ['a\\b', /backslash/],
    ['a\ud800b', /lone surrogate/],
  ];
  it.each(badPaths.map(([path, reason]) => [JSON.stringify(path).slice(0, 24), path, reason] as const))(
    'refuses the path %s at presign in its own entry (400 naming it) and at confirm',
    async (_label, path, reason) => {
      const { key } = await agentKey();
      const good = Buffer.from('fine');
      const res = await call(api.url, 'POST', '/agent/sync/presign', {
        key,
        body: {
          files: [
            { path: 'ok.txt', operation: 'put', hash: sha256(good), size: good.length },
            { path, operation: 'put' },
          ],
        },
      });
      expect(res.status).toBe(200);
      const [ok, bad] = res.body.data.urls;
      expect(bad).toMatchObject({ path, operation: 'put', status: 400, error: { code: 'INVALID_REQUEST' } });
      expect(bad.url).toBeUndefined();
      expect(bad.error.message).toMatch(reason);
      expect(bad.error.message).toContain(`files.1.path ${JSON.stringify(path).slice(0, 40)}`);
      expect((await put(ok, good)).status).toBe(200);
      const single = await call(api.url, 'POST', '/agent/sync/confirm', { key, body: { filePath: path, hash: sha256(''), size: 0 } });
      expect(single.status).toBe(400);
      expect(single.body.error.message).toMatch(reason);
      const batch = await call(api.url, 'POST', '/agent/sync/confirm', {
        key,
        body: {
          files: [
            { filePath: path, hash: sha256(''), size: 0 },
            { filePath: 'ok.txt', hash: sha256(good), size: good.length, uploadId: ok.uploadId },
          ],
        },
      });
      expect(batch.status).toBe(200);
      expect(batch.body.data.results).toEqual([
        { filePath: path, status: 'invalid', error: { code: 'INVALID_REQUEST', message: expect.stringMatching(reason) } },
        expect.objectContaining({ filePath: 'ok.txt', status: 'confirmed' }),
      ]);
      expect(Object.keys((await manifest(key)).files)).toEqual(['ok.txt']);
    },
  );

  it('one storable 1,022-byte path goes through a batch of 1,000 beside an unstorable one', async () => {
    const { key } = await agentKey();
    const longest = `${'d/'.repeat(300)}${'x'.repeat(422)}`;
    expect(Buffer.byteLength(longest)).toBe(1022);
    const files = Array.from({ length: 998 }, (_, i) => ({ path: `f${i}`, operation: 'put' }));
    files.push({ path: longest, operation: 'put' }, { path: `${longest}y`, operation: 'put' });
    const res = await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files } });
    expect(res.status).toBe(200);
    const urls = res.body.data.urls;
    expect(urls.filter((u: { status?: number }) => u.status === 400).map((u: { path: string }) => u.path)).toEqual([`${longest}y`]);
    const bytes = Buffer.from('deep');
    expect((await put(urls[998], bytes)).status).toBe(200);
    const confirmed = await confirm(key, longest, bytes);
    expect(confirmed.status).toBe(200);
    expect(Object.keys((await manifest(key)).files)).toEqual([longest]);
  });

  it('refuses other malformed requests with the reason', async () => {
    const { key } = await agentKey();
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/agent/sync/presign', { files: [] }, /files/],
      ['POST', '/agent/sync/presign', { files: Array.from({ length: 1001 }, (_, i) => ({ path: `f${i}`, operation: 'put' })) }, /files/],
      ['POST', '/agent/sync/presign', { files: [{ path: 'a', operation: 'move' }] }, /operation/],
      ['POST', '/agent/sync/presign', { files: [{ path: 'a', operation: 'put', hash: 'abc' }] }, /SHA-256/],
      [
        'POST',
        '/agent/sync/presign',
        { files: ['a', 'b', 'c', 'd', 'e'].map((path) => ({ path, operation: 'multipart', hash: sha256(path), size: 5 * 1024 ** 4 })) },
        /presign fewer files per call/,
      ],
      ['POST', '/agent/sync/presign', { files: [{ path: 'a', operation: 'put', size: 5 * 1024 ** 4 + 1 }] }, /size/],
      ['POST', '/agent/sync/confirm', { filePath: 'a', hash: sha256('a'), size: -1 }, /size/],
      ['POST', '/agent/sync/confirm', { filePath: 'a' }, /either/],
      ['POST', '/agent/sync/confirm', '{not json', /JSON/],
      ['POST', '/agent/sync/reconstruct', { mode: 'everything' }, /mode/],
      ['GET', '/agent/sync/files?cursor=%%%', undefined, /cursor|percent/],
      ['GET', '/agent/sync/files?limit=0', undefined, /limit/],
      ['GET', '/agent/sync/manifest?cursor=bad!', undefined, /cursor/],
      ['DELETE', '/agent/sync/files/a%2F%2E%2E%2Fb', undefined, /segment/],
    ];
    for (const [method, path, body, reason] of cases) {
      const res = await call(api.url, method, path, { key, body });
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body.error.message).toMatch(reason);
    }
    const dup = await call(api.url, 'POST', '/agent/sync/confirm', {
      key,
      body: {
        files: [
          { filePath: 'a', hash: sha256('a'), size: 1 },
          { filePath: 'a', hash: sha256('a'), size: 1 },
        ],
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.body.error.message).toMatch(/twice/);
  });
});

async function store(key: string, path: string, bytes: Buffer) {
  await upload(key, path, bytes);
  const res = await confirm(key, path, bytes);
  expect(res.status).toBe(200);
}

describe('workspace sync: listing, stats, sessions, delete', () => {
  it('lists files under a prefix page by page and keeps stats', async () => {
    const { key } = await agentKey();
    const paths = ['notes/a.md', 'notes/b.md', 'notes/c/d.md', 'other.md'];
    for (const p of paths) await store(key, p, Buffer.from(p));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await call(api.url, 'GET', `/agent/sync/files?prefix=notes/&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.files.map((f: { path: string }) => f.path));
      cursor = res.body.data.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['notes/a.md', 'notes/b.md', 'notes/c/d.md']);
    const stats = (await call(api.url, 'GET', '/agent/sync/stats', { key })).body.data;
    expect(stats).toMatchObject({ agentId: 'alpha', fileCount: 4, totalSize: paths.join('').length, sessionCount: 0, version: 4 });
    expect(stats.lastSyncAt).toEqual(stats.lastConfirmAt);
  });

  it('pages the manifest and removes files from manifest and bucket', async () => {
    const { key } = await agentKey();
    for (const p of ['dir/one two.md', 'dir/ünï.md', 'z.bin']) await store(key, p, Buffer.from(p));
    const page = (await call(api.url, 'GET', '/agent/sync/manifest?limit=2', { key })).body.data;
    expect(Object.keys(page.files)).toEqual(['dir/one two.md', 'dir/ünï.md']);
    const rest = (await call(api.url, 'GET', `/agent/sync/manifest?cursor=${page.nextCursor}`, { key })).body.data;
    expect(Object.keys(rest.files)).toEqual(['z.bin']);
    expect(rest.nextCursor).toBeUndefined();
    const getUrl = (
      await call(api.url, 'POST', '/agent/sync/presign', { key, body: { files: [{ path: 'dir/ünï.md', operation: 'get' }] } })
    ).body.data.urls[0].url;
    const removed = await call(api.url, 'DELETE', `/agent/sync/files/${encodeURIComponent('dir/ünï.md')}`, { key });
    expect(removed.body.data).toEqual({ removed: true });
    expect((await call(api.url, 'DELETE', '/agent/sync/files/dir/ünï.md', { key })).body.data).toEqual({ removed: false });
    expect((await fetch(getUrl)).status).toBe(404);
    const after = await manifest(key);
    expect(Object.keys(after.files)).toEqual(['dir/one two.md', 'z.bin']);
    expect(after.version).toBe(4);
    expect((await call(api.url, 'GET', '/agent/sync/stats', { key })).body.data).toMatchObject({ fileCount: 2 });
  });

  it('lists saved sessions newest first, returns their text, and 413 with a URL when large', async () => {
    const { key } = await agentKey();
    await store(key, 'sessions/s-1.jsonl', Buffer.from('{"turn":1}\n'));
    await store(key, 'sessions/s-2.md', Buffer.from('# session two'));
    await store(key, 'sessions/nested/not-a-session.md', Buffer.from('x'));
    const big = Buffer.alloc(40, 'b');
    await store(key, 'sessions/big.txt', big);
    const { sessions } = (await call(api.url, 'GET', '/agent/sync/sessions', { key })).body.data;
    expect(sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['big', 's-2', 's-1']);
    expect(sessions[1]).toMatchObject({ path: 'sessions/s-2.md', size: 13 });
    const one = await call(api.url, 'GET', '/agent/sync/sessions/s-2', { key });
    expect(one.body.data).toMatchObject({ sessionId: 's-2', content: '# session two' });
    expect((await call(api.url, 'GET', '/agent/sync/sessions/nope', { key })).status).toBe(404);
    process.env.SATCHEL_SYNC_SESSION_INLINE_MAX_BYTES = '32';
    try {
      const large = await call(api.url, 'GET', '/agent/sync/sessions/big', { key });
      expect(large.status).toBe(413);
      expect(large.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', size: 40 });
      expect(Buffer.from(await (await fetch(large.body.error.url)).arrayBuffer())).toEqual(big);
    } finally {
      delete process.env.SATCHEL_SYNC_SESSION_INLINE_MAX_BYTES;
    }
    expect((await call(api.url, 'GET', '/agent/sync/stats', { key })).body.data.sessionCount).toBe(3);
  });
});

describe('workspace sync: reconstruct modes', () => {
  const files = [
    'MEMORY.md',
    'memory/facts.md',
    'notes/MEMORY.md',
    'notes/topic.memory.md',
    'notes/plain.md',
    'src/app.ts',
    'sessions/old.jsonl',
    'sessions/mid.jsonl',
    'sessions/new.jsonl',
  ];
  const restored = async (key: string, mode: string) => {
    const res = await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: { mode } });
    expect(res.status).toBe(200);
    return res.body.data.files.map((f: { path: string }) => f.path).sort();
  };

  it('full = everything, memory = memory patterns, active = memory + recent sessions + recently changed files', async () => {
    const { key } = await agentKey();
    for (const p of files) await store(key, p, Buffer.from(p));
    expect(await restored(key, 'full')).toEqual([...files].sort());
    const memory = ['MEMORY.md', 'memory/facts.md', 'notes/MEMORY.md', 'notes/topic.memory.md'];
    expect(await restored(key, 'memory')).toEqual(memory);
    // everything was backed up just now: inside the default 72-hour window
    expect(await restored(key, 'active')).toEqual([...files].sort());
    process.env.SATCHEL_SYNC_ACTIVE_WINDOW_HOURS = '0';
    process.env.SATCHEL_SYNC_ACTIVE_SESSIONS = '2';
    try {
      expect(await restored(key, 'active')).toEqual([...memory, 'sessions/mid.jsonl', 'sessions/new.jsonl'].sort());
    } finally {
      delete process.env.SATCHEL_SYNC_ACTIVE_WINDOW_HOURS;
      delete process.env.SATCHEL_SYNC_ACTIVE_SESSIONS;
    }
    const bundle = (await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: { mode: 'memory' } })).body.data;
    const entry = bundle.files.find((f: { path: string }) => f.path === 'MEMORY.md');
    expect(entry).toMatchObject({ hash: sha256('MEMORY.md'), size: 9 });
    expect(await (await fetch(entry.url)).text()).toBe('MEMORY.md');
  });

  it('pages a bundle with a cursor', async () => {
    const { key } = await agentKey();
    for (const p of ['a', 'b', 'c']) await store(key, p, Buffer.from(p));
    const first = (await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: { mode: 'full', limit: 2 } })).body.data;
    expect(first.files.map((f: { path: string }) => f.path)).toEqual(['a', 'b']);
    const second = (
      await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: { mode: 'full', limit: 2, cursor: first.nextCursor } })
    ).body.data;
    expect(second.files.map((f: { path: string }) => f.path)).toEqual(['c']);
    expect(second.nextCursor).toBeUndefined();
  });
});

describe('workspace sync: multipart', () => {
  const mib = 1024 * 1024;
  const bytes = Buffer.alloc(11 * mib + 3, 7);
  bytes.write('different parts', 6 * mib);
  const partHashes = [bytes.subarray(0, 5 * mib), bytes.subarray(5 * mib, 10 * mib), bytes.subarray(10 * mib)].map((p) => sha256(p));

  async function start(key: string, path: string, extra: Record<string, unknown> = {}) {
    const res = await call(api.url, 'POST', '/agent/sync/presign', {
      key,
      body: { files: [{ path, operation: 'multipart', hash: sha256(bytes), size: bytes.length, ...extra }] },
    });
    expect(res.status).toBe(200);
    return res.body.data.urls[0] as {
      uploadId: string;
      partSize: number;
      parts: { partNumber: number; size: number; url: string; headers: Record<string, string> }[];
    };
  }

  async function sendParts(plan: Awaited<ReturnType<typeof start>>, body = bytes) {
    const parts = [];
    for (const part of plan.parts) {
      const from = (part.partNumber - 1) * plan.partSize;
      const res = await fetch(part.url, { method: 'PUT', headers: part.headers, body: body.subarray(from, from + part.size) });
      expect(res.status).toBe(200);
      parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag') as string, hash: partHashes[part.partNumber - 1] });
    }
    return parts;
  }

  const complete = (key: string, body: unknown) => call(api.url, 'POST', '/agent/sync/multipart/complete', { key, body });

  it('uploads parts with their SHA-256, completes, and confirms the object by its upload id', async () => {
    const { key } = await agentKey();
    const plan = await start(key, 'big/blob.bin', { partSize: 5 * mib, partHashes });
    expect(plan.parts.map((p) => p.size)).toEqual([5 * mib, 5 * mib, mib + 3]);
    expect(plan.parts[1].headers['x-amz-checksum-sha256']).toBe(Buffer.from(partHashes[1], 'hex').toString('base64'));
    // a part with other bytes than declared is refused, as S3 does
    const wrong = await fetch(plan.parts[0].url, { method: 'PUT', headers: plan.parts[0].headers, body: Buffer.alloc(5 * mib, 1) });
    expect(wrong.status).toBe(400);
    const parts = await sendParts(plan);
    const confirmation = { filePath: 'big/blob.bin', hash: sha256(bytes), size: bytes.length, uploadId: plan.uploadId };
    expect((await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmation })).status).toBe(409);
    const done = await complete(key, { path: 'big/blob.bin', uploadId: plan.uploadId, parts });
    expect(done.status).toBe(200);
    expect((await call(api.url, 'POST', '/agent/sync/confirm', { key, body: { ...confirmation, uploadId: undefined } })).status).toBe(409);
    const confirmed = await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmation });
    expect([confirmed.status, confirmed.body.error?.message]).toEqual([200, undefined]);
    expect((await manifest(key)).files['big/blob.bin'].size).toBe(bytes.length);
    const restore = await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: {} });
    expect(sha256(Buffer.from(await (await fetch(restore.body.data.files[0].url)).arrayBuffer()))).toBe(sha256(bytes));
  });

  it('a completed upload stays tagged unconfirmed until its confirm, and expires if never confirmed', async () => {
    const { key, tenant } = await agentKey();
    const tags = async (uploadKey: string) =>
      (await s3Client().send(new GetObjectTaggingCommand({ Bucket: config.bucketName, Key: uploadKey }))).TagSet?.map(
        (t) => `${t.Key}=${t.Value}`,
      );
    const uploadOf = async (path: string) => {
      const plan = await start(key, path, { partSize: 5 * mib, partHashes });
      expect((await complete(key, { path, uploadId: plan.uploadId, parts: await sendParts(plan) })).status).toBe(200);
      return plan.uploadId;
    };
    const abandoned = await uploadOf('big/abandoned.bin');
    const kept = await uploadOf('big/kept.bin');
    const [abandonedKey] = await keysUnder(`sync/${tenant}/alpha/o/${sha256('big/abandoned.bin')}/`);
    const [keptKey] = await keysUnder(`sync/${tenant}/alpha/o/${sha256('big/kept.bin')}/`);
    expect(await tags(abandonedKey)).toEqual(['satchel-upload=unconfirmed']);
    const confirmation = { filePath: 'big/kept.bin', hash: sha256(bytes), size: bytes.length, uploadId: kept };
    expect((await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmation })).status).toBe(200);
    expect(await tags(keptKey)).toEqual([]);

    expect(await twoDaysLater(tenant)).toEqual([abandonedKey]);
    expect(await keysUnder(`sync/${tenant}/alpha/`)).toEqual([keptKey]);
    const restore = await call(api.url, 'POST', '/agent/sync/reconstruct', { key, body: {} });
    expect(sha256(Buffer.from(await (await fetch(restore.body.data.files[0].url)).arrayBuffer()))).toBe(sha256(bytes));
    // confirming the expired upload now finds nothing
    const late = await call(api.url, 'POST', '/agent/sync/confirm', {
      key,
      body: { ...confirmation, filePath: 'big/abandoned.bin', uploadId: abandoned },
    });
    expect(late.status).toBe(409);
  });

  it('an upload is confirmed once: a later confirm of its id for new content is refused', async () => {
    const { key } = await agentKey();
    const plan = await start(key, 'once.bin', { partSize: 5 * mib, partHashes });
    expect((await complete(key, { path: 'once.bin', uploadId: plan.uploadId, parts: await sendParts(plan) })).status).toBe(200);
    const confirmation = { filePath: 'once.bin', hash: sha256(bytes), size: bytes.length, uploadId: plan.uploadId };
    expect((await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmation })).body.data.status).toBe('confirmed');
    expect((await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmation })).body.data.status).toBe('unchanged');
    const other = Buffer.from('replaced');
    await upload(key, 'once.bin', other);
    expect((await confirm(key, 'once.bin', other)).status).toBe(200);
    // the first upload's key was removed with the entry that named it; its id cannot name it again
    const again = await call(api.url, 'POST', '/agent/sync/confirm', { key, body: confirmation });
    expect(again.status).toBe(409);
    expect((await manifest(key)).files['once.bin'].hash).toBe(sha256(other));
  });

  it('uses the server part size when the client declares no part hashes', async () => {
    process.env.SATCHEL_SYNC_PART_SIZE_BYTES = String(5 * mib);
    try {
      const { key } = await agentKey();
      const plan = await start(key, 'plain.bin');
      expect(plan.parts.map((p) => p.size)).toEqual([5 * mib, 5 * mib, mib + 3]);
      const parts = (await sendParts(plan)).map(({ partNumber, etag }) => ({ partNumber, etag }));
      expect((await complete(key, { path: 'plain.bin', uploadId: plan.uploadId, parts })).status).toBe(200);
      const confirmed = await call(api.url, 'POST', '/agent/sync/confirm', {
        key,
        body: { filePath: 'plain.bin', hash: sha256(bytes), size: bytes.length, uploadId: plan.uploadId },
      });
      expect(confirmed.status).toBe(200);
    } finally {
      delete process.env.SATCHEL_SYNC_PART_SIZE_BYTES;
    }
  });

  it('completing an upload that is not open for this path answers 404; malformed ids and ETags 400', async () => {
    const { key } = await agentKey();
    const plan = await start(key, 'one.bin', { partSize: 5 * mib, partHashes });
    const parts = await sendParts(plan);
    const other = await start(key, 'two.bin', { partSize: 5 * mib, partHashes });
    const unknown = other.uploadId.slice(0, 40) + 'f'.repeat(32);

    const wrongPath = await complete(key, { path: 'two.bin', uploadId: plan.uploadId, parts });
    expect(wrongPath.status).toBe(404);
    expect(wrongPath.body.error.message).toMatch(/No open multipart upload/);
    expect((await complete(key, { path: 'one.bin', uploadId: unknown, parts })).status).toBe(404);
    expect((await complete(key, { path: 'one.bin', uploadId: plan.uploadId, parts })).status).toBe(200);
    expect((await complete(key, { path: 'one.bin', uploadId: plan.uploadId, parts })).status).toBe(404); // already completed

    const malformed: [unknown, RegExp][] = [
      [{ path: 'one.bin', uploadId: 'not-ours', parts }, /uploadId/],
      [{ path: 'one.bin', uploadId: `${plan.uploadId}\ud800`, parts }, /uploadId/],
      [{ path: 'one.bin', uploadId: `${plan.uploadId.slice(0, 40)}../../../etc`, parts }, /uploadId/],
      [{ path: 'one.bin', uploadId: plan.uploadId, parts: [{ partNumber: 1, etag: '"\ud800"' }] }, /etag/],
      [{ path: 'one.bin', uploadId: plan.uploadId, parts: [{ partNumber: 1, etag: 'x'.repeat(32) }] }, /etag/],
      [{ path: 'one.bin', uploadId: plan.uploadId, parts: [{ partNumber: 1, etag: parts[0].etag, hash: 'zz' }] }, /SHA-256/],
    ];
    for (const [body, reason] of malformed) {
      const res = await complete(key, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(reason);
    }
  });
});
