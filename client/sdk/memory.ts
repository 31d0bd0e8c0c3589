import type { z } from 'zod';
import type { memoryOperation, syncFull, syncPull, syncPush, syncStatus } from '../../lambdas/contracts/memory';
import type { SatchelHttp } from './http';

/** Memory sync (seed 001): answers come as `{ success: true, data }`; these methods return `data`. */
export type SyncStatus = z.output<NonNullable<typeof syncStatus.response>>;
export type SyncPushInput = z.input<NonNullable<typeof syncPush.body>>;
export type SyncPushResult = z.output<NonNullable<typeof syncPush.response>>;
export type SyncPullInput = z.input<NonNullable<typeof syncPull.body>>;
export type SyncPullResult = z.output<NonNullable<typeof syncPull.response>>;
export type SyncFullInput = NonNullable<z.input<NonNullable<typeof syncFull.body>>>;
export type SyncFullResult = z.output<NonNullable<typeof syncFull.response>>;
export type PulledOperation = NonNullable<SyncPullResult['operations']>[number];

/** A memory operation to push; `local_updated_at` (here or in `data`) decides last-write-wins. */
export type MemoryOperation = z.input<typeof memoryOperation>;

const unwrap = <T>(body: { data: T }): T => body.data;

export function memoryMethods(http: SatchelHttp) {
  /** The client's device id unless the call names one (null: explicitly none). */
  const device = <T extends { device_id?: string | null }>(input: T): T =>
    input.device_id === undefined && http.options.deviceId ? { ...input, device_id: http.options.deviceId } : input;

  const syncPull = async (input: SyncPullInput): Promise<SyncPullResult> =>
    unwrap(await http.request<{ data: SyncPullResult }>('POST', '/sync/pull', { body: device(input), idempotent: true }));

  /**
   * Every page of a pull, following the cursor until the server has nothing more:
   * `for await (const page of client.pullAll({ agent_id })) apply(page.operations)`.
   * Keep `page.cursor` to resume later; with `full: true` the last cursor continues incrementally.
   * A page with `full_resync: true` is part of a full snapshot (this client was away longer than the
   * server keeps its change log): records it holds that the snapshot lacks were deleted meanwhile.
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
    syncStatus: async (input: { agent_id?: string; device_id?: string | null } = {}): Promise<SyncStatus> => {
      const { agent_id, device_id } = device(input);
      return unwrap(
        await http.request<{ data: SyncStatus }>('GET', '/sync/status', { query: { agent_id, device_id: device_id ?? undefined } }),
      );
    },

    /** Safe to resend (replaying a push changes nothing), so it is retried after timeouts and 5xx. */
    syncPush: async (input: Omit<SyncPushInput, 'operations'> & { operations: MemoryOperation[] }): Promise<SyncPushResult> =>
      unwrap(await http.request<{ data: SyncPushResult }>('POST', '/sync/push', { body: input, idempotent: true })),

    syncPull,

    syncFull: async (input: Omit<SyncFullInput, 'operations'> & { operations?: MemoryOperation[] }): Promise<SyncFullResult> =>
      unwrap(await http.request<{ data: SyncFullResult }>('POST', '/sync/full', { body: device(input), idempotent: true })),

    pullAll,

    /** Each pulled operation, in server order: `for await (const op of client.pullOperations({ agent_id }))`. */
    async *pullOperations(input: SyncPullInput): AsyncGenerator<PulledOperation, void, undefined> {
      for await (const page of pullAll(input)) yield* page.operations ?? [];
    },
  };
}
