import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { buildQueryString } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * The OpenSearch REST calls the adapters make, SigV4-signed with the function's role, on AWS SDK
 * pieces every function bundles anyway (signer, credential chain) instead of the OpenSearch client
 * (250 KiB, ~20 ms of init per function; docs/decisions.md). Requests on the wire are the ones the
 * OpenSearch client sends (test/unit/lambdas/adapters/vector-index/opensearch-transport.test.ts compares them).
 */
export interface SearchRequest {
  method: string;
  /** Path with leading slash, e.g. `/index/_search`. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as NDJSON, one line per element (`_bulk`). */
  bulkBody?: unknown[];
  querystring?: Record<string, unknown>;
}

export interface SearchResponse {
  /** Parsed JSON; for HEAD whether the resource exists. OpenSearch answers vary by API: callers read the fields they asked for. */
  // biome-ignore lint/suspicious/noExplicitAny: the body of any OpenSearch API, read field by field by each caller
  body: any;
  statusCode: number | null;
}

/** The part of an OpenSearch client the adapters use. */
export interface SearchTransport {
  request(params: SearchRequest, options?: { ignore?: number[] }): Promise<SearchResponse>;
}

/** An answer of 400 or more: `meta` has the shape the OpenSearch client gives (dependency-errors.ts reads it). */
export class SearchResponseError extends Error {
  override readonly name = 'ResponseError';
  // biome-ignore lint/suspicious/noExplicitAny: the same body as SearchResponse's
  constructor(readonly meta: { statusCode: number; body: any; headers: IncomingMessage['headers'] }) {
    super(typeof meta.body?.error?.type === 'string' ? meta.body.error.type : `OpenSearch answered ${meta.statusCode}`);
  }
}

export interface TransportOptions {
  /** `https://host` (or `http://` for tests). */
  node: string;
  region: string;
  /** `es` for a managed domain, `aoss` for OpenSearch Serverless. */
  service: 'es' | 'aoss';
  credentials?: ReturnType<typeof defaultProvider>;
  /** As the OpenSearch client: 30 s per attempt, 3 retries of network errors and 502/503/504. */
  requestTimeoutMs?: number;
  maxRetries?: number;
}

const RETRIED_STATUS = new Set([502, 503, 504]);

export function signedTransport(options: TransportOptions): SearchTransport {
  const url = new URL(options.node);
  const secure = url.protocol === 'https:';
  const agent = secure ? new Agent({ keepAlive: true }) : undefined;
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const timeout = options.requestTimeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 3;

  async function sign(params: SearchRequest): Promise<{ request: RequestOptions; body: string }> {
    const json = params.body !== undefined;
    const body = json ? JSON.stringify(params.body) : (params.bulkBody ?? []).map((line) => `${JSON.stringify(line)}\n`).join('');
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(params.querystring ?? {})) {
      if (value !== undefined) query[key] = Array.isArray(value) ? value.join(',') : String(value);
    }
    const headers: Record<string, string> = {
      host: url.host,
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      ...(body
        ? { 'content-type': json ? 'application/json' : 'application/x-ndjson', 'content-length': String(Buffer.byteLength(body)) }
        : {}),
    };
    const signed = await signer.sign({
      method: params.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: params.path,
      query,
      headers,
      body,
    });
    const search = buildQueryString(query);
    return {
      body,
      request: {
        method: params.method,
        host: url.hostname,
        port: url.port || undefined,
        path: search ? `${params.path}?${search}` : params.path,
        headers: signed.headers,
        agent,
        timeout,
      },
    };
  }

  function exchange({
    request,
    body,
  }: {
    request: RequestOptions;
    body: string;
  }): Promise<{ statusCode: number; headers: IncomingMessage['headers']; payload: string }> {
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(request, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, payload: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error(`OpenSearch did not answer within ${timeout} ms`), { name: 'TimeoutError' })),
      );
      req.on('error', reject);
      req.end(body || undefined);
    });
  }

  return {
    async request(params, { ignore = [] } = {}) {
      for (let attempt = 0; ; attempt++) {
        const signed = await sign(params); // per attempt: signatures carry the time
        let answer: Awaited<ReturnType<typeof exchange>>;
        try {
          answer = await exchange(signed);
        } catch (error) {
          if (attempt < maxRetries) continue; // network errors and timeouts
          throw error;
        }
        const { statusCode, headers, payload } = answer;
        const ignored = ignore.includes(statusCode) || (params.method === 'HEAD' && statusCode === 404);
        if (!ignored && RETRIED_STATUS.has(statusCode) && attempt < maxRetries) continue;
        const json =
          params.method !== 'HEAD' && payload !== '' && /application\/(vnd\.opensearch\+)?json/.test(headers['content-type'] ?? '');
        const body = params.method === 'HEAD' ? statusCode < 400 : json ? JSON.parse(payload) : payload;
        if (!ignored && statusCode >= 400) throw new SearchResponseError({ statusCode, body, headers });
        return { body, statusCode };
      }
    },
  };
}
