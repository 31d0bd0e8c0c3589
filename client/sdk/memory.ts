import type { z } from 'zod';
import type { memoryOperation, syncFull, syncPull, syncPush, syncStatus } from '../../lambdas/memory/contracts';
import type { SatchelHttp } from './http';

/** Memory sync (seed 001): answers come as `{ success: true, data }`; these methods return `data`. */
export type SyncStatus = z.output<NonNullable<typeof syncStatus.response>>;
export type SyncPushInput = z.input<NonNullable<typeof syncPush.body>>;
export type SyncPushResult = z.output<NonNullable<typeof syncPush.response>>;
export type SyncPullInput = z.input<NonNullable<typeof syncPull.body>>;
export type SyncPullResult = z.output<NonNullable<typeof syncPull.response>>;
export type SyncFullInput = z.input<NonNullable<typeof syncFull.body>>;
export type SyncFullResult = z.output<NonNullable<typeof syncFull.response>>;
export type PulledOperation = NonNullable<SyncPullResult['operations']>[number];

/** A memory operation to push; `local_updated_at` (here or in `data`) decides last-write-wins. */
export type MemoryOperation = z.input<typeof memoryOperation>;

const unwrap = <T>(body: { data: T }): T => body.data;

export function memoryMethods(http: SatchelHttp) {
  const syncPull = async (input: SyncPullInput): Promise<SyncPullResult> =>
    unwrap(await http.request<{ data: SyncPullResult }>('POST', '/sync/pull', { body: input, idempotent: true }));

  /**
   * Every page of a pull, following the cursor until the server has nothing more:
   * `for await (const page of client.pullAll({ agent_id })) apply(page.operations)`.
   * Keep `page.cursor` to resume later; with `full: true` the last cursor continues incrementally.
   */
  async function* pullAll(input: SyncPullInput): AsyncGenerator<SyncPullResult, void, undefined> {
    let cursor = input.cursor;
    for (;;) {
      const page = await syncPull({ ...input, cursor });
      yield page;
      if (!page.has_more) return;
      cursor = page.cursor;
    }
  }

  return {
    syncStatus: async ({ agent_id, device_id }: { agent_id?: string; device_id?: string | null } = {}): Promise<SyncStatus> =>
      unwrap(await http.request<{ data: SyncStatus }>('GET', '/sync/status', { query: { agent_id, device_id: device_id ?? undefined } })),

    /** Safe to resend (replaying a push changes nothing), so it is retried after timeouts and 5xx. */
    syncPush: async (input: Omit<SyncPushInput, 'operations'> & { operations: MemoryOperation[] }): Promise<SyncPushResult> =>
      unwrap(await http.request<{ data: SyncPushResult }>('POST', '/sync/push', { body: input, idempotent: true })),

    syncPull,

    syncFull: async (input: Omit<SyncFullInput, 'operations'> & { operations?: MemoryOperation[] }): Promise<SyncFullResult> =>
      unwrap(await http.request<{ data: SyncFullResult }>('POST', '/sync/full', { body: input, idempotent: true })),

    pullAll,

    /** Each pulled operation, in server order: `for await (const op of client.pullOperations({ agent_id }))`. */
    async *pullOperations(input: SyncPullInput): AsyncGenerator<PulledOperation, void, undefined> {
      for await (const page of pullAll(input)) yield* page.operations ?? [];
    },
  };
}
