import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { HttpRequest, HttpResponse } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * PutObjectTagging sent without the SDK's command stack (lambdas/sync/service/object-tagging.ts),
 * against a scripted S3: a real HTTP server for the local set-up (path style, the functions'
 * endpoint), and the client's own HTTP handler replaced by a script for the AWS set-up (virtual-host
 * address, a role's temporary credentials). The script checks each request's SigV4 signature by
 * signing it again with the credentials the function has.
 */

type Module = typeof import('../../../../../lambdas/sync/service/object-tagging');
type Answer = { status: number; body?: string } | 'reset';

interface Received {
  method: string;
  host: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SHA-256 (HMAC with a secret) for the checking signer, from node:crypto: independent of the client's. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const md5 = (text: string) => createHash('md5').update(text).digest('base64');
const error = (code: string, status: number): Answer => ({
  status,
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code} happened</Message></Error>`,
});

/** Whether `r` carries the signature these credentials give it (signed again at its own x-amz-date). */
async function signedBy(
  r: Received,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
  protocol = 'http:',
) {
  const { authorization, ...unsigned } = r.headers;
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization ?? '')?.[1].split(';') ?? [];
  const [hostname, port] = r.host.split(':');
  const request = new HttpRequest({
    method: r.method,
    protocol,
    hostname,
    port: port ? Number(port) : undefined,
    path: r.path,
    query: r.query,
    headers: Object.fromEntries(Object.entries(unsigned).filter(([name]) => signedHeaders.includes(name))),
    body: r.body,
  });
  const signer = new SignatureV4({
    credentials,
    region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const d = r.headers['x-amz-date'];
  const signingDate = new Date(
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`,
  );
  const again = await signer.sign(request, { signingDate });
  return again.headers.authorization === authorization;
}

type Kit = typeof import('../../../../../lambdas/kit/aws');
type Objects = typeof import('../../../../../lambdas/sync/service/objects');

/** Loads the modules afresh (a fresh S3 client and bucket address) with this environment. */
function load(env: Record<string, string | undefined>): Module & { client: ReturnType<Kit['s3Client']>; objects: Objects } {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let loaded!: Module & { client: ReturnType<Kit['s3Client']>; objects: Objects };
  jest.isolateModules(() => {
    loaded = {
      ...(require('../../../../../lambdas/sync/service/object-tagging') as Module),
      objects: require('../../../../../lambdas/sync/service/objects') as Objects,
      client: (require('../../../../../lambdas/kit/aws') as Kit).s3Client(),
    };
  });
  return loaded;
}

const saved = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

describe('tags sent to the local emulator (a real HTTP server, path style)', () => {
  let server: Server;
  let endpoint: string;
  let script: Answer[] = [];
  let received: Received[] = [];

  beforeAll(async () => {
    server = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const url = new URL(req.url as string, 'http://x');
      received.push({
        method: req.method as string,
        host: req.headers.host as string,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = script.shift() ?? { status: 200 };
      if (answer === 'reset') return req.socket.destroy();
      res.writeHead(answer.status, { 'content-type': 'application/xml' });
      res.end(answer.body ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    script = [];
    received = [];
  });

  const local = () =>
    load({
      BUCKET_NAME: 'local-bucket',
      SATCHEL_S3_ENDPOINT: endpoint,
      // where clients reach S3: never where the functions send their own requests
      SATCHEL_S3_PUBLIC_ENDPOINT: 'http://public.example:9',
      AWS_REGION: 'us-east-1',
    });

  it('clears the tags of an object at the functions’ endpoint, signed, with the Content-MD5 S3 requires', async () => {
    const { putObjectTags } = local();
    await putObjectTags('sync/t/a/o/p/p-1 x+(y).h.5', []);
    expect(received).toHaveLength(1);
    const [r] = received;
    expect([r.method, r.host, r.path, r.query]).toEqual([
      'PUT',
      new URL(endpoint).host,
      '/local-bucket/sync/t/a/o/p/p-1%20x%2B%28y%29.h.5',
      { tagging: '' },
    ]);
    expect(r.body).toMatch(/<Tagging xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><TagSet><\/TagSet><\/Tagging>$/);
    expect(r.headers['content-md5']).toBe(md5(r.body));
    expect(r.headers.authorization).toMatch(/SignedHeaders=[^,]*content-md5/);
    await expect(signedBy(r, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, 'us-east-1')).resolves.toBe(true);
  });

  it('sends the tags it is given, escaped', async () => {
    const { putObjectTags } = local();
    await putObjectTags('k', [{ key: 'satchel-upload', value: 'a<b&"c"' }]);
    expect(received[0].body).toContain('<TagSet><Tag><Key>satchel-upload</Key><Value>a&#60;b&#38;&#34;c&#34;</Value></Tag></TagSet>');
  });

  it('retries 5xx, throttling and cut connections, then succeeds', async () => {
    const { putObjectTags } = local();
    script = [error('SlowDown', 503), 'reset'];
    await expect(putObjectTags('k', [])).resolves.toBeUndefined();
    expect(received).toHaveLength(3);
    script = [error('InternalError', 500), error('RequestTimeout', 400)];
    await expect(putObjectTags('k', [])).resolves.toBeUndefined();
    expect(received).toHaveLength(6);
  });

  it('gives up after three attempts with S3’s error', async () => {
    const { putObjectTags } = local();
    script = [error('InternalError', 500), error('InternalError', 500), error('ServiceUnavailable', 503), { status: 200 }];
    await expect(putObjectTags('k', [])).rejects.toMatchObject({ name: 'ServiceUnavailable', status: 503 });
    expect(received).toHaveLength(3);
  });

  it('answers a missing object as NoSuchKey and an access problem as itself, without retrying either', async () => {
    const { putObjectTags } = local();
    script = [error('NoSuchKey', 404)];
    await expect(putObjectTags('k', [])).rejects.toMatchObject({ name: 'NoSuchKey', status: 404, message: 'NoSuchKey happened' });
    script = [error('AccessDenied', 403)];
    await expect(putObjectTags('k', [])).rejects.toMatchObject({ name: 'AccessDenied', status: 403 });
    script = [{ status: 404 }];
    await expect(putObjectTags('k', [])).rejects.toMatchObject({ name: 'NotFound', status: 404 });
    expect(received).toHaveLength(3);
  });

  it('lets a confirm report a missing direct put as its own conflict (takeDirectUpload)', async () => {
    const { objects } = local();
    script = [error('NoSuchKey', 404)];
    await expect(objects.takeDirectUpload('k')).resolves.toEqual({ ok: false, reason: expect.stringMatching(/no uploaded object/) });
    await expect(objects.takeDirectUpload('k')).resolves.toEqual({ ok: true });
    expect(received.map((r) => r.query)).toEqual([{ tagging: '' }, { tagging: '' }]);
  });
});

describe('tags sent in AWS (virtual-host address, a role’s temporary credentials)', () => {
  it('signs with the session token and the function’s region, at the bucket’s regional host', async () => {
    const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/key', sessionToken: 'token'.repeat(100) };
    const { putObjectTags, client } = load({
      BUCKET_NAME: 'prod-bucket',
      SATCHEL_S3_ENDPOINT: undefined,
      SATCHEL_S3_PUBLIC_ENDPOINT: undefined,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    });
    const sent: HttpRequest[] = [];
    // the script stands in for the network: S3's regional host is not reachable from a unit test
    client.config.requestHandler = {
      handle: async (request: HttpRequest) => {
        sent.push(request);
        return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([]) }) };
      },
    } as never;
    await putObjectTags('sync/t/a/o/p/p-1.h.5', []);
    expect(sent).toHaveLength(1);
    const [r] = sent;
    expect([r.protocol, r.hostname, r.path]).toEqual(['https:', 'prod-bucket.s3.eu-west-1.amazonaws.com', '/sync/t/a/o/p/p-1.h.5']);
    expect(r.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(r.headers.authorization).toMatch(/Credential=ASIAEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
    expect(r.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
    const received: Received = {
      method: r.method,
      host: r.headers.host,
      path: r.path,
      query: r.query as Record<string, string>,
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: String(r.body),
    };
    await expect(signedBy(received, credentials, 'eu-west-1', 'https:')).resolves.toBe(true);
    await expect(signedBy(received, { ...credentials, sessionToken: 'other' }, 'eu-west-1', 'https:')).resolves.toBe(false);
  });
});
