import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { openSearchError } from '../../../../../lambdas/adapters/dependency-errors';
import {
  signedTransport,
  type SearchRequest,
  type SearchTransport,
} from '../../../../../lambdas/adapters/vector-index/opensearch-transport';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local OpenSearch stand-in: records requests and answers from a queue (default 200 `{}`). */
let server: Server;
let node: string;
const received: Received[] = [];
const answers: { status: number; body?: unknown; contentType?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers.shift() ?? { status: 200, body: {} };
      res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json; charset=UTF-8' });
      res.end(
        answer.body === undefined || req.method === 'HEAD'
          ? undefined
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  received.length = 0;
  answers.length = 0;
});

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};
const transport = (service: 'es' | 'aoss' = 'es', maxRetries = 0) =>
  signedTransport({ node, region: 'eu-west-1', service, credentials: async () => credentials, maxRetries });

/** The OpenSearch client (opensearch-js), signed the way the adapters were before this transport. */
function referenceClient(service: 'es' | 'aoss'): SearchTransport {
  const client = new Client({
    ...AwsSigv4Signer({ region: 'eu-west-1', service, getCredentials: async () => credentials }),
    node,
    maxRetries: 0,
  });
  return { request: (params, options) => client.transport.request(params as never, options) as never };
}

/** Every kind of request the adapters and the index custom resource send. */
const adapterRequests: SearchRequest[] = [
  {
    method: 'POST',
    path: '/_bulk',
    querystring: { refresh: 'wait_for' },
    bulkBody: [
      { index: { _index: 'idx', _id: 'i:0' } },
      { content: 'héllo "world"', embedding: [0.5, -1e-7] },
      { delete: { _index: 'idx', _id: 'i:1' } },
    ],
  },
  {
    method: 'POST',
    path: '/idx/_search',
    querystring: { include_named_queries_score: true },
    body: { size: 20, query: { term: { itemId: 'i' } } },
  },
  { method: 'POST', path: '/idx/_search', body: { size: 2000, _source: false } },
  { method: 'PUT', path: '/idx', body: { settings: { index: { knn: true } } } },
  { method: 'HEAD', path: '/idx' },
];

/** What identifies a request on the wire; the signature itself differs with the signing time. */
const wire = (r: Received) => ({
  method: r.method,
  url: r.url,
  body: r.body,
  contentType: r.headers['content-type'],
  contentLength: r.headers['content-length'],
  payloadHash: r.headers['x-amz-content-sha256'],
  token: r.headers['x-amz-security-token'],
});

describe('SigV4 OpenSearch transport', () => {
  it.each(['es', 'aoss'] as const)('sends what the OpenSearch client sends (service %s)', async (service) => {
    for (const request of adapterRequests) {
      await referenceClient(service).request({ ...request });
      await transport(service).request(request);
    }
    const [theirs, ours] = [received.filter((_, i) => i % 2 === 0), received.filter((_, i) => i % 2 === 1)];
    expect(ours.map(wire)).toEqual(theirs.map(wire));
    for (const r of ours)
      expect(r.headers.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/eu-west-1/${service}/aws4_request, SignedHeaders=\\S*host\\S*x-amz-content-sha256\\S*x-amz-date`,
        ),
      );
  });

  it('signs so that the service can verify the signature over method, path, query, headers and body', async () => {
    await transport('aoss').request(adapterRequests[0]);
    const [got] = received;
    const url = new URL(got.url, node);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(got.headers.authorization!)![1].split(';');
    const date = got.headers['x-amz-date'] as string;
    const verifier = new SignatureV4({ service: 'aoss', region: 'eu-west-1', credentials, sha256: Sha256 });
    const expected = await verifier.sign(
      {
        method: got.method,
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(signedHeaders.map((h) => [h, String(got.headers[h])])),
        body: got.body,
      },
      { signingDate: new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13)}`) },
    );
    expect(got.headers.authorization).toBe(expected.headers.authorization);
  });

  it('answers parsed JSON and the status; HEAD answers whether the index exists; ignored statuses do not throw', async () => {
    answers.push(
      { status: 200, body: { hits: { hits: [{ _id: 'a' }] } } },
      { status: 200 },
      { status: 404 },
      { status: 400, body: { error: { type: 'resource_already_exists_exception' } } },
    );
    expect(await transport().request(adapterRequests[1])).toEqual({ statusCode: 200, body: { hits: { hits: [{ _id: 'a' }] } } });
    expect(await transport().request({ method: 'HEAD', path: '/idx' }, { ignore: [404] })).toEqual({ statusCode: 200, body: true });
    expect(await transport().request({ method: 'HEAD', path: '/idx' }, { ignore: [404] })).toEqual({ statusCode: 404, body: false });
    expect(await transport().request(adapterRequests[3], { ignore: [400] })).toEqual({
      statusCode: 400,
      body: { error: { type: 'resource_already_exists_exception' } },
    });
  });

  it("rejects 4xx/5xx answers with the OpenSearch client's error shape, which the dependency-error mapping reads", async () => {
    answers.push(
      { status: 404, body: { error: { type: 'index_not_found_exception' } } },
      { status: 429, body: 'Too Many Requests', contentType: 'text/plain' },
      { status: 403, body: { message: 'no' } },
    );
    const error404 = await transport()
      .request(adapterRequests[1])
      .catch((e: unknown) => e);
    expect(error404).toMatchObject({
      name: 'ResponseError',
      message: 'index_not_found_exception',
      meta: { statusCode: 404, body: { error: { type: 'index_not_found_exception' } } },
    });
    expect(openSearchError(error404, 'idx')).toMatchObject({ status: 503, message: expect.stringMatching(/index idx does not exist/) });
    const error429 = await transport()
      .request(adapterRequests[1])
      .catch((e: unknown) => e);
    expect(error429).toMatchObject({ meta: { statusCode: 429, body: 'Too Many Requests' } });
    expect(openSearchError(error429, 'idx')).toMatchObject({ status: 429, headers: { 'Retry-After': '5' } });
    expect(
      openSearchError(
        await transport()
          .request(adapterRequests[1])
          .catch((e: unknown) => e),
        'idx',
      ),
    ).toMatchObject({ status: 503, message: expect.stringMatching(/data access policy/) });
  });

  it('retries 502/503/504 like the OpenSearch client (never 429), then gives up with the last answer', async () => {
    answers.push({ status: 503, body: {} }, { status: 502, body: {} }, { status: 200, body: { ok: 1 } });
    expect(await transport('es', 3).request(adapterRequests[2])).toEqual({ statusCode: 200, body: { ok: 1 } });
    expect(received).toHaveLength(3);
    received.length = 0;
    answers.push({ status: 504, body: {} }, { status: 504, body: {} });
    await expect(transport('es', 1).request(adapterRequests[2])).rejects.toMatchObject({ meta: { statusCode: 504 } });
    expect(received).toHaveLength(2);
    received.length = 0;
    answers.push({ status: 429, body: {} });
    await expect(transport('es', 3).request(adapterRequests[2])).rejects.toMatchObject({ meta: { statusCode: 429 } });
    expect(received).toHaveLength(1);
  });

  it('fails with the network error when nothing answers, after its retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const dead = signedTransport({
      node: `http://127.0.0.1:${port}`,
      region: 'eu-west-1',
      service: 'es',
      credentials: async () => credentials,
      maxRetries: 1,
    });
    await expect(dead.request(adapterRequests[2])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
