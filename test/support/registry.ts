import { call, type CallResult, type TestApi } from './api';

/** A fresh tenant's key and short-hands for the registry routes. */
export async function registryTenant(api: TestApi, options: { agent?: string; tenant?: string } = {}) {
  const { key, tenant } = await api.key(options);
  const send = <T = any>(method: string, path: string, body?: unknown): Promise<CallResult<T>> =>
    call<T>(api.url, method, path, { key, body });
  return {
    key,
    tenant,
    send,
    /** Registers a workspace and answers it (fails the test unless 201). */
    async create(body: Record<string, unknown>) {
      const res = await send('POST', '/api/workspaces', body);
      if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.workspace;
    },
  };
}

export const ref = (idPathOrName: string): string => `/api/workspaces/${encodeURIComponent(idPathOrName)}`;
