/**
 * The HTTP core of the SDK: base URL + API key, JSON in and out, retries with exponential
 * backoff and jitter on 429, 5xx and network errors. Surface clients unwrap their envelope.
 */
import { backoffDelay } from '../../lambdas/shared/time';

export interface SatchelClientOptions {
  /** Base URL of the API (SATCHEL_URL), e.g. http://127.0.0.1:3000 or the API Gateway URL. */
  baseUrl: string;
  /** `sk-…` (SATCHEL_API_KEY). */
  apiKey?: string;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First backoff delay, ms (default 200); doubles each retry, capped at 5 s, with full jitter. */
  backoffMs?: number;
  /**
   * Longest `Retry-After` the client waits out, ms (default 30 s). A longer hint (a sandbox quota
   * can say 30 minutes) is not slept through: the 429 or 503 is thrown at once, `retryAfter` set.
   */
  maxRetryAfterMs?: number;
  /** Waits between attempts (default: a timer); tests pass their own to see the delays. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /**
   * Memory sync: this device's id, sent as `device_id` by memory pulls, status and full syncs that
   * name none, so the server keeps this device's own pull position.
   */
  deviceId?: string;
  fetch?: typeof fetch;
  /** Sends the JSON requests (default: over `fetch`, or the `fetch` option). */
  transport?: Transport;
}

/** What the client reads of an answer. */
export interface TransportAnswer {
  status: number;
  /** A response header by its lowercase name, or null. */
  header(name: string): string | null;
  text(): Promise<string>;
  /** Drops a body that will not be read (before a retry). */
  discard(): Promise<void>;
}

/** Sends one request; rejects only when no answer came (network error). */
export type Transport = (request: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}) => Promise<TransportAnswer>;

export const fetchTransport =
  (fetchImpl: typeof fetch): Transport =>
  async ({ method, url, headers, body }) => {
    const res = await fetchImpl(url, { method, headers, body });
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      text: () => res.text(),
      discard: async () => {
        await res.body?.cancel();
      },
    };
  };

export class SatchelError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly body?: unknown,
    /** Seconds the server asked to wait before trying again (its `Retry-After`), when it said. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'SatchelError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Safe to resend after a network error or 5xx (default: true for GET/PUT/DELETE and idempotent POSTs). */
  idempotent?: boolean;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export class SatchelHttp {
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly transport: Transport;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(readonly options: SatchelClientOptions) {
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 200;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.transport = options.transport ?? fetchTransport(options.fetch ?? fetch);
    this.wait = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(this.options.baseUrl.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  /** Sends one request; returns the parsed JSON body (undefined for 204) or throws SatchelError. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const retryable = options.idempotent ?? method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      let res: TransportAnswer;
      try {
        res = await this.transport({ method, url: this.url(path, options.query), headers, body });
      } catch (error) {
        if (attempt < this.retries && retryable) {
          await this.sleep(attempt);
          continue;
        }
        throw new SatchelError(
          0,
          `Cannot reach ${this.options.baseUrl}: ${(error as Error).message}. Is Satchel running (npm start) and SATCHEL_URL right?`,
        );
      }
      const hinted = retryAfterMs(res.header('retry-after'));
      const waitable = hinted === undefined || hinted <= this.maxRetryAfterMs;
      if (RETRYABLE.has(res.status) && attempt < this.retries && (retryable || res.status === 429) && waitable) {
        await res.discard();
        await this.sleep(attempt, hinted);
        continue;
      }
      const text = await res.text();
      const parsed = text ? safeJson(text) : undefined;
      if (res.status < 200 || res.status > 299)
        throw toError(res.status, parsed, hinted === undefined ? undefined : Math.ceil(hinted / 1000));
      return parsed as T;
    }
  }

  /** The server's hint when it gave one, else exponential backoff with full jitter. */
  private sleep(attempt: number, hintedMs?: number): Promise<void> {
    return this.wait(hintedMs ?? backoffDelay(attempt, { baseMs: this.backoffMs, capMs: 5000 }, this.random));
  }
}

/** `Retry-After` in ms when it is delay-seconds (what Satchel sends); undefined otherwise (backoff applies). */
function retryAfterMs(header: string | null): number | undefined {
  const value = header?.trim();
  return value && /^\d{1,9}$/.test(value) ? Number(value) * 1000 : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads every surface's error envelope: `{error: "…"}`, `{error: {code, message}}`, `{success: false, error: {…}}`, `{message}`. */
function toError(status: number, body: unknown, retryAfter?: number): SatchelError {
  const b = body as { error?: unknown; message?: string } | undefined;
  const error = b?.error;
  if (error && typeof error === 'object') {
    const e = error as { code?: string; message?: string };
    return new SatchelError(status, e.message ?? `HTTP ${status}`, e.code, body, retryAfter);
  }
  if (typeof error === 'string') return new SatchelError(status, error, undefined, body, retryAfter);
  if (status === 401) return new SatchelError(status, 'No API key: set SATCHEL_API_KEY or pass --api-key', 'UNAUTHORIZED', body);
  if (status === 403 && b?.message === 'Forbidden')
    return new SatchelError(status, 'The API key was refused (unknown or revoked)', 'UNAUTHORIZED', body);
  return new SatchelError(status, b?.message ?? `HTTP ${status}`, undefined, body, retryAfter);
}
