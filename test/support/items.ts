import { entryKey, expiryShard, putEntry } from '../../lambdas/items/service/store';
import type { ScopeRef } from '../../lambdas/items/service/scope';
import { call } from './api';

/** Small helpers over the items endpoints, for the integration tests. */
export function itemsClient(url: string, key: string) {
  const qs = (query: Record<string, string | number | undefined>) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const s = params.toString();
    return s ? `?${s}` : '';
  };
  return {
    add: (body: Record<string, unknown>) => call(url, 'POST', '/api/workspace/items', { key, body }),
    get: (query: Record<string, string | number | undefined>) => call(url, 'GET', `/api/workspace/items/get${qs(query)}`, { key }),
    status: (query: Record<string, string | number | undefined>) => call(url, 'GET', `/api/workspace/items/status${qs(query)}`, { key }),
    list: (query: Record<string, string | number | undefined> = {}) => call(url, 'GET', `/api/workspace/items${qs(query)}`, { key }),
    remove: (body: Record<string, unknown>) => call(url, 'DELETE', '/api/workspace/items', { key, body }),
    move: (body: Record<string, unknown>) => call(url, 'POST', '/api/workspace/items/move', { key, body }),
    search: (body: Record<string, unknown>) => call(url, 'POST', '/api/workspace/search', { key, body }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value (not undefined), at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

/** Writes the entry add-item leaves for a `fileUrl` item before its fetch (pending, one hour to live); returns its keys. */
export async function putPendingFetch(ref: ScopeRef, path: string, itemId: string, sourceUrl: string) {
  const keys = entryKey(ref, path);
  await putEntry(
    {
      ...keys,
      ...ref,
      itemId,
      status: 'pending',
      createdAt: new Date().toISOString(),
      metadata: {},
      sourceUrl,
      expiresAt: Math.ceil(Date.now() / 1000) + 3600,
      expiryShard: expiryShard(itemId),
    },
    false,
  );
  return keys;
}
