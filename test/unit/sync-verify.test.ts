import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/core/protocols';

/**
 * verifyObject against scripted S3 answers (the local emulator stores no checksums, so the
 * checksum path cannot be reached through it). Each test loads fresh modules: the verifier
 * remembers whether the store keeps checksums.
 */
type Answer = { status?: number; headers?: Record<string, string>; body?: string };

function loadVerifier(answers: Record<'HEAD' | 'GET', (request: HttpRequest) => Answer>) {
  const sent: string[] = [];
  let verifyObject!: typeof import('../../lambdas/sync/objects').verifyObject;
  jest.isolateModules(() => {
    const { s3Client } = require('../../lambdas/kit/aws') as typeof import('../../lambdas/kit/aws');
    ({ verifyObject } = require('../../lambdas/sync/objects') as typeof import('../../lambdas/sync/objects'));
    s3Client().config.requestHandler = {
      handle: async (request: HttpRequest) => {
        const method = request.method as 'HEAD' | 'GET';
        sent.push(method);
        const a = answers[method](request);
        const body = a.body ?? '';
        const headers = { 'content-length': String(Buffer.byteLength(body)), ...a.headers };
        return { response: new HttpResponse({ statusCode: a.status ?? 200, headers, body: Readable.from(method === 'HEAD' ? [] : [Buffer.from(body)]) }) };
      },
    } as never;
  });
  return { verifyObject, sent };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const unused = () => {
  throw new Error('not expected');
};

describe('verifying an upload', () => {
  it("answers from S3's stored SHA-256 with a HEAD alone: no bytes read", async () => {
    const { verifyObject, sent } = loadVerifier({
      HEAD: () => ({ headers: { 'content-length': '5', 'x-amz-checksum-sha256': sha256('hello').toString('base64'), etag: '"e"', 'x-amz-version-id': 'v1' } }),
      GET: unused,
    });
    await expect(verifyObject('k', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toEqual({ ok: true, versionId: 'v1', etag: '"e"' });
    await expect(verifyObject('k', { hash: sha256('other').toString('hex'), size: 5 })).resolves.toEqual({ ok: false, reason: expect.stringMatching(/another SHA-256/) });
    await expect(verifyObject('k', { hash: sha256('hello').toString('hex'), size: 6 })).resolves.toEqual({ ok: false, reason: expect.stringMatching(/5 bytes, not 6/) });
    expect(sent).toEqual(['HEAD', 'HEAD', 'HEAD']);
  });

  it('hashes the bytes when S3 only has a checksum of part checksums (multipart), and keeps asking first', async () => {
    const { verifyObject, sent } = loadVerifier({
      HEAD: () => ({ headers: { 'content-length': '5', 'x-amz-checksum-sha256': 'abc=-2', 'x-amz-checksum-type': 'COMPOSITE', etag: '"e-2"' } }),
      GET: () => ({ body: 'hello', headers: { etag: '"e-2"' } }),
    });
    await expect(verifyObject('k', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toEqual({ ok: true, etag: '"e-2"' });
    await expect(verifyObject('k', { hash: sha256('hellp').toString('hex'), size: 5 })).resolves.toMatchObject({ ok: false });
    expect(sent).toEqual(['HEAD', 'GET', 'HEAD', 'GET']);
  });

  it('learns that a store keeps no checksums and then hashes objects without asking first', async () => {
    const { verifyObject, sent } = loadVerifier({
      HEAD: () => ({ headers: { 'content-length': '5', etag: '"e"' } }),
      GET: () => ({ body: 'hello', headers: { etag: '"e"' } }),
    });
    await expect(verifyObject('a', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toEqual({ ok: true, etag: '"e"' });
    await expect(verifyObject('b', { hash: sha256('hello').toString('hex'), size: 5 })).resolves.toEqual({ ok: true, etag: '"e"' });
    expect(sent).toEqual(['HEAD', 'GET', 'GET']);
  });

  it('reports a missing object, from the HEAD or from the GET', async () => {
    const notFound = () => ({ status: 404, headers: { 'content-type': 'application/xml' }, body: '<Error><Code>NoSuchKey</Code><Message>none</Message></Error>' });
    const asked = loadVerifier({ HEAD: () => ({ status: 404 }), GET: unused });
    await expect(asked.verifyObject('k', { hash: sha256('x').toString('hex'), size: 1 })).resolves.toEqual({ ok: false, reason: expect.stringMatching(/no uploaded object/) });
    const learned = loadVerifier({ HEAD: () => ({ headers: { 'content-length': '1', etag: '"e"' } }), GET: notFound });
    await expect(learned.verifyObject('k', { hash: sha256('x').toString('hex'), size: 1 })).resolves.toEqual({ ok: false, reason: expect.stringMatching(/no uploaded object/) });
  });
});
