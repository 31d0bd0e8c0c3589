import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/core/protocols';

/**
 * verifyObject and verifyMultipart against scripted S3 answers (the local emulator keeps only the
 * SHA-256 of single puts, so the other checksum paths cannot be reached through it). Like S3, the script answers a
 * request with the object's checksums only when it asks for them (`x-amz-checksum-mode: ENABLED`).
 * Each test loads fresh modules (and so a fresh client).
 */
type Answer = { status?: number; headers?: Record<string, string>; body?: string };

const unused = (): Answer => {
  throw new Error('not expected');
};

// the verifier names the bucket and signs its requests; in a unit run no global setup provides either
Object.assign(process.env, {
  BUCKET_NAME: process.env.BUCKET_NAME ?? 'unit-test-bucket',
  AWS_ACCESS_KEY_ID: 'unit',
  AWS_SECRET_ACCESS_KEY: 'unit',
});

function loadVerifier(answers: Partial<Record<'HEAD' | 'GET' | 'PUT', (request: HttpRequest) => Answer>>) {
  const sent: string[] = [];
  const requests: HttpRequest[] = [];
  let objects!: typeof import('../../../../../lambdas/sync/service/objects');
  jest.isolateModules(() => {
    const { s3Client } = require('../../../../../lambdas/kit/aws') as typeof import('../../../../../lambdas/kit/aws');
    objects = require('../../../../../lambdas/sync/service/objects') as typeof import('../../../../../lambdas/sync/service/objects');
    s3Client().config.requestHandler = {
      handle: async (request: HttpRequest) => {
        const method = request.method as 'HEAD' | 'GET' | 'PUT';
        sent.push(method);
        requests.push(request);
        const a = (answers[method] ?? unused)(request);
        const body = a.body ?? '';
        const asked = request.headers['x-amz-checksum-mode'] === 'ENABLED';
        const answered = Object.entries(a.headers ?? {}).filter(([name]) => asked || !name.startsWith('x-amz-checksum-'));
        const headers = { 'content-length': String(Buffer.byteLength(body)), ...Object.fromEntries(answered) };
        return {
          response: new HttpResponse({
            statusCode: a.status ?? 200,
            headers,
            body: Readable.from(method === 'HEAD' ? [] : [Buffer.from(body)]),
          }),
        };
      },
    } as never;
  });
  return { ...objects, sent, requests };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

describe('verifying an upload', () => {
  it("answers from S3's stored SHA-256 with a HEAD alone: no bytes read", async () => {
    const { verifyObject, sent } = loadVerifier({
      HEAD: () => ({
        headers: {
          'content-length': '5',
          'x-amz-checksum-sha256': sha256('hello').toString('base64'),
          etag: '"e"',
          'x-amz-version-id': 'v1',
        },
      }),
      GET: unused,
    });
    await expect(verifyObject('k', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toEqual({
      ok: true,
      versionId: 'v1',
      etag: '"e"',
    });
    await expect(verifyObject('k', { hash: sha256('other').toString('hex'), size: 5 })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/another SHA-256/),
    });
    await expect(verifyObject('k', { hash: sha256('hello').toString('hex'), size: 6 })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/5 bytes, not 6/),
    });
    expect(sent).toEqual(['HEAD', 'HEAD', 'HEAD']);
  });

  it('hashes the bytes when S3 only has a checksum of part checksums (multipart), and keeps asking first', async () => {
    const { verifyObject, sent } = loadVerifier({
      HEAD: () => ({
        headers: { 'content-length': '5', 'x-amz-checksum-sha256': 'abc=-2', 'x-amz-checksum-type': 'COMPOSITE', etag: '"e-2"' },
      }),
      GET: () => ({ body: 'hello', headers: { etag: '"e-2"' } }),
    });
    await expect(verifyObject('k', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toEqual({ ok: true, etag: '"e-2"' });
    await expect(verifyObject('k', { hash: sha256('hellp').toString('hex'), size: 5 })).resolves.toMatchObject({ ok: false });
    expect(sent).toEqual(['HEAD', 'GET', 'HEAD', 'GET']);
  });

  it('hashes the bytes of an object stored without a SHA-256 (a put presigned without a hash), and keeps asking first', async () => {
    const { verifyObject, sent } = loadVerifier({
      HEAD: () => ({ headers: { 'content-length': '5', etag: '"e"', 'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=' } }),
      GET: () => ({ body: 'hello', headers: { etag: '"e"' } }),
    });
    await expect(verifyObject('a', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toEqual({ ok: true, etag: '"e"' });
    await expect(verifyObject('b', { hash: sha256('hellp').toString('hex'), size: 5 })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/another SHA-256/),
    });
    expect(sent).toEqual(['HEAD', 'GET', 'HEAD', 'GET']);
  });

  it('asks S3 for the stored checksum: a HEAD without ChecksumMode would get none and have to read the bytes', async () => {
    const modes: (string | undefined)[] = [];
    const { verifyObject, sent } = loadVerifier({
      HEAD: (request) => {
        modes.push(request.headers['x-amz-checksum-mode']);
        return {
          headers: {
            'content-length': '5',
            'x-amz-checksum-sha256': sha256('hello').toString('base64'),
            'x-amz-checksum-type': 'FULL_OBJECT',
            etag: '"e"',
          },
        };
      },
      GET: unused,
    });
    await expect(verifyObject('k', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toMatchObject({ ok: true });
    expect([sent, modes]).toEqual([['HEAD'], ['ENABLED']]);
  });

  it('reports a missing object, from the HEAD or from the GET', async () => {
    const notFound = () => ({
      status: 404,
      headers: { 'content-type': 'application/xml' },
      body: '<Error><Code>NoSuchKey</Code><Message>none</Message></Error>',
    });
    const asked = loadVerifier({ HEAD: () => ({ status: 404 }), GET: unused });
    await expect(asked.verifyObject('k', { hash: sha256('x').toString('hex'), size: 1 })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/no uploaded object/),
    });
    const learned = loadVerifier({ HEAD: () => ({ headers: { 'content-length': '1', etag: '"e"' } }), GET: notFound });
    await expect(learned.verifyObject('k', { hash: sha256('x').toString('hex'), size: 1 })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/no uploaded object/),
    });
  });
});

describe('verifying a multipart upload in AWS (per-part SHA-256, COMPOSITE checksum)', () => {
  const parts = ['first part ', 'second part ', 'last'];
  const whole = sha256(parts.join('')).toString('hex');
  const size = Buffer.byteLength(parts.join(''));

  function aws(options: { checksum?: string; metaHash?: string; completedAgoMs?: number } = {}) {
    const partHashes = parts.map((p) => sha256(p).toString('hex'));
    const modes: (string | undefined)[] = [];
    const loaded = loadVerifier({
      HEAD: (request) => {
        modes.push(request.headers['x-amz-checksum-mode']);
        return {
          headers: {
            'content-length': String(size),
            etag: '"0123456789abcdef0123456789abcdef-3"',
            'last-modified': new Date(Date.now() - (options.completedAgoMs ?? 60000)).toUTCString(),
            'x-amz-checksum-sha256': options.checksum ?? loaded.compositeSha256(partHashes),
            'x-amz-checksum-type': 'COMPOSITE',
            'x-amz-meta-sha256': options.metaHash ?? whole,
            'x-amz-meta-sha256-parts': loaded.compositeSha256(partHashes),
          },
        };
      },
      GET: unused,
    });
    return { ...loaded, modes };
  }

  it('confirms from one HEAD that asks for checksums: no bytes are read, whatever the size', async () => {
    const { verifyMultipart, sent, modes, compositeSha256 } = aws();
    expect(compositeSha256(parts.map((p) => sha256(p).toString('hex')))).toMatch(/^[A-Za-z0-9+/]{43}=-3$/);
    await expect(verifyMultipart('k', { hash: whole, size })).resolves.toEqual({ ok: true, storedAt: expect.any(Date) });
    expect([sent, modes]).toEqual([['HEAD'], ['ENABLED']]);
  });

  it('refuses parts with other checksums, an upload started for another hash or size, and one completed over 12 hours ago', async () => {
    const otherParts = aws({ checksum: `${sha256('x').toString('base64')}-3` });
    await expect(otherParts.verifyMultipart('k', { hash: whole, size })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/other SHA-256 checksums/),
    });
    const otherHash = aws({ metaHash: sha256('other').toString('hex') });
    await expect(otherHash.verifyMultipart('k', { hash: whole, size })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/another SHA-256/),
    });
    await expect(otherHash.verifyMultipart('k', { hash: whole, size: size + 1 })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/bytes, not/),
    });
    const old = aws({ completedAgoMs: 13 * 3600 * 1000 });
    await expect(old.verifyMultipart('k', { hash: whole, size })).resolves.toEqual({
      ok: false,
      reason: expect.stringMatching(/12 hours/),
    });
    for (const v of [otherParts, otherHash, old]) expect(v.sent.every((m) => m === 'HEAD')).toBe(true);
  });
});

describe('a put straight to its own key (presigned with hash and size)', () => {
  const hash = sha256('hello').toString('hex');

  it('signs the unconfirmed tag and If-None-Match as headers beside the checksum and length', async () => {
    const { presignPut, sent } = loadVerifier({});
    const signed = await presignPut('sync/t/a/o/p/p-1.h.5', { hash, size: 5, unconfirmed: true });
    const url = new URL(signed.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';').sort()).toEqual(
      ['content-length', 'host', 'if-none-match', 'x-amz-checksum-sha256', 'x-amz-tagging'].sort(),
    );
    // kept out of the query: a client must send them, and cannot leave them out
    expect([...url.searchParams.keys()].filter((k) => /tagging|checksum/i.test(k))).toEqual([]);
    expect(signed.headers).toEqual({
      'x-amz-checksum-sha256': sha256('hello').toString('base64'),
      'content-length': '5',
      'x-amz-tagging': 'satchel-upload=unconfirmed',
      'if-none-match': '*',
    });
    expect(sent).toEqual([]);
  });

  it('is taken by one PutObjectTagging with no tags, which also proves it is there; no copy, no HEAD, no GET', async () => {
    const { takeDirectUpload, sent, requests } = loadVerifier({ PUT: () => ({}) });
    await expect(takeDirectUpload('sync/t/a/o/p/p-1.h.5')).resolves.toEqual({ ok: true });
    expect(sent).toEqual(['PUT']);
    expect(requests[0].path).toMatch(/\/sync\/t\/a\/o\/p\/p-1\.h\.5$/);
    expect(Object.keys(requests[0].query)).toContain('tagging');
    expect(requests[0].headers['x-amz-copy-source']).toBeUndefined();
    expect(String(requests[0].body)).toMatch(/<TagSet\s*\/>|<TagSet><\/TagSet>/);
  });

  it('reports a missing object (never uploaded, or uploaded with another hash or size) as no upload', async () => {
    const { takeDirectUpload } = loadVerifier({
      PUT: () => ({
        status: 404,
        headers: { 'content-type': 'application/xml' },
        body: '<Error><Code>NoSuchKey</Code><Message>none</Message></Error>',
      }),
    });
    await expect(takeDirectUpload('k')).resolves.toEqual({ ok: false, reason: expect.stringMatching(/no uploaded object/) });
  });
});
