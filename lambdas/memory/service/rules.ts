import { memoryOperation, type MemoryTable } from '../../contracts/memory';
import {
  MAX_RECORD_BYTES,
  MAX_RECORD_ID_BYTES,
  canonicalTable,
  contentHash,
  jsonProblem,
  newerThan,
  timestampMicros,
  type Version,
} from './records';

/**
 * The rules of a memory push, apart from the table: what an operation is, last-write-wins (`decide`), what a
 * settled or written operation answers, and how operations are grouped into transactions. Pure: unit-tested
 * without emulators (test/unit/lambdas/memory/service/rules.test.ts).
 */

export type PushStatus = 'synced' | 'conflict' | 'error';

export interface PushResult {
  record_id: string;
  table: string;
  status: PushStatus;
  remote_id?: string;
  /** The change's position in the agent's change log (new writes only). */
  server_seq?: number;
  /** Conflict: the timestamp of the version that won. */
  server_local_updated_at?: string;
  error?: string;
}

export interface Operation {
  table: MemoryTable;
  recordId: string;
  insertOnly: boolean;
  deleted: boolean;
  data: Record<string, unknown> | null;
  dataJson: string | undefined;
  version: Version;
  localUpdatedAt: string;
  clientVersion: unknown;
}

/** What the state item holds besides the record itself. */
export interface CurrentState {
  ts: number;
  h: string;
  del: boolean;
  seq: number;
  lua: string;
}

/** Why a client operation cannot be applied (a string), or the operation. */
export function parseOperation(raw: unknown): Operation | string {
  const parsed = memoryOperation.safeParse(raw);
  if (!parsed.success) {
    return parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || 'operation'}: ${i.message}`)
      .join('; ');
  }
  const op = parsed.data;
  const idBytes = Buffer.byteLength(op.record_id);
  if (idBytes > MAX_RECORD_ID_BYTES) return `record_id: ${idBytes} bytes in UTF-8; the limit is ${MAX_RECORD_ID_BYTES} bytes`;
  const table = canonicalTable(op.table);
  if (!table) return `unknown table ${op.table}`;
  const deleted = op.operation === 'delete';
  const data = op.data ?? null;
  if (!deleted && !data) return `${op.operation} needs data`;
  const stamp = op.local_updated_at ?? (typeof data?.local_updated_at === 'string' ? data.local_updated_at : undefined);
  if (stamp === undefined) return 'local_updated_at is required (on the operation or in data)';
  const ts = timestampMicros(stamp);
  if (ts === undefined) return `local_updated_at is not an ISO 8601 timestamp: ${stamp}`;
  const problem = jsonProblem(data, 'data') ?? jsonProblem(op.version, 'version');
  if (problem) return problem;
  const dataJson = data ? JSON.stringify(data) : undefined;
  if (dataJson && Buffer.byteLength(dataJson) > MAX_RECORD_BYTES) {
    return `record is ${Buffer.byteLength(dataJson)} bytes; the limit is ${MAX_RECORD_BYTES} bytes (DynamoDB item size)`;
  }
  return {
    table,
    recordId: op.record_id,
    insertOnly: op.operation === 'insert',
    deleted,
    data,
    dataJson,
    version: { ts, hash: contentHash(deleted, data) },
    localUpdatedAt: stamp,
    clientVersion: op.version,
  };
}

export type Decision = { status: 'synced' | 'conflict' | 'error'; current?: CurrentState; error?: string } | 'write';

/** Last-write-wins: the same version is already synced; a newer stored version wins (conflict); else write. */
export function decide(op: Operation, current: CurrentState | undefined): Decision {
  if (current && current.ts === op.version.ts && current.h === op.version.hash) return { status: 'synced', current };
  if (op.insertOnly && current && !current.del)
    return { status: 'error', error: 'insert: the record already exists (use upsert or update)' };
  if (current && newerThan({ ts: current.ts, hash: current.h }, op.version)) return { status: 'conflict', current };
  return 'write';
}

export type Outcome = { result: Omit<PushResult, 'record_id' | 'table'>; state?: CurrentState };

export function settled(op: Operation, decision: Exclude<Decision, 'write'>, current: CurrentState | undefined): Outcome {
  if (decision.status === 'synced') return { result: { status: 'synced', remote_id: op.recordId }, state: current };
  if (decision.status === 'conflict') {
    const winner = decision.current!.lua;
    return {
      result: {
        status: 'conflict',
        server_local_updated_at: winner,
        error: `the server holds a newer version (local_updated_at ${winner})`,
      },
      state: current,
    };
  }
  return { result: { status: 'error', error: decision.error } };
}

export const written = (op: Operation, seq: number): Outcome => ({
  result: { status: 'synced', remote_id: op.recordId, server_seq: seq },
  state: { ts: op.version.ts, h: op.version.hash, del: op.deleted, seq, lua: op.localUpdatedAt },
});

const CHUNK_OPERATIONS = 50;
const CHUNK_BYTES = 3 * 1024 * 1024;

/** Operations grouped for one transaction each: at most 50, and about 3 MiB of data. */
export function chunksOf(ops: { op: Operation; index: number }[]): { op: Operation; index: number }[][] {
  const chunks: { op: Operation; index: number }[][] = [];
  let current: { op: Operation; index: number }[] = [];
  let bytes = 0;
  for (const entry of ops) {
    const size = 2 * (entry.op.dataJson?.length ?? 0) + 1024;
    if (current.length && (current.length >= CHUNK_OPERATIONS || bytes + size > CHUNK_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
