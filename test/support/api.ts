import { randomUUID } from 'node:crypto';
import { KeyStore } from '../../lambdas/auth/service/keys';
import { documentClient } from '../../lambdas/kit/aws';
import { config } from '../../lambdas/kit/config';
import type { Surface } from '../../lambdas/contracts/surfaces';
import { startServer, type RunningServer } from '../../local/server';

/** The local runtime's HTTP server over the emulators started by the global setup. */
export interface TestApi {
  url: string;
  /** A key for a fresh tenant (unique per call unless `tenant` is given). */
  key(options?: { tenant?: string; agent?: string; surfaces?: Surface[] }): Promise<{ key: string; tenant: string; keyId: string }>;
  close(): Promise<void>;
}

export const uniqueTenant = (): string => `t-${randomUUID().slice(0, 8)}`;

export async function startTestApi(): Promise<TestApi> {
  const server: RunningServer = await startServer();
  const keys = new KeyStore(documentClient(), config.tableName('apiKeys'));
  return {
    url: server.url,
    async key(options = {}) {
      const tenant = options.tenant ?? uniqueTenant();
      const { key, record } = await keys.create({ tenant, agent: options.agent, surfaces: options.surfaces });
      return { key, tenant, keyId: record.keyId };
    },
    close: server.close,
  };
}

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A JSON call: `body` is sent as JSON unless it is already a string (for malformed-JSON tests). */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}
