import { createHash } from 'node:crypto';
import { MEMORY_TABLES, type MemoryTable } from '../../contracts/memory';

/** Names the shipping Kernle client uses for seed tables. */
const TABLE_ALIASES: Record<string, MemoryTable> = { raw_captures: 'raw_entries', values: 'agent_values' };
/** What a Kernle-shaped pull calls a seed table (its local store knows raw entries as raw_captures). */
const KERNLE_NAMES: Partial<Record<MemoryTable, string>> = { raw_entries: 'raw_captures' };

export function canonicalTable(name: string): MemoryTable | undefined {
  if ((MEMORY_TABLES as readonly string[]).includes(name)) return name as MemoryTable;
  return TABLE_ALIASES[name];
}

export const kernleTableName = (table: MemoryTable): string => KERNLE_NAMES[table] ?? table;

/**
 * Largest record (JSON of `data`) we accept: DynamoDB items are at most 400 KB, and the
 * state item carries the record next to its keys and sync attributes.
 */
export const MAX_RECORD_BYTES = 400 * 1024 - 2048;

/** A record id's bytes (UTF-8): its state item's sort key `R#<table>#<record_id>` must fit DynamoDB's 1,024 bytes. */
export const MAX_RECORD_ID_BYTES = 1000;
/** Nesting of `data` and `version`, as deep as DynamoDB documents go (and far below the stack's limit). */
export const MAX_JSON_DEPTH = 32;

const fieldPath = (path: (string | number)[]): string => {
  const shown = path.length > 6 ? [...path.slice(0, 5), '…'] : path;
  return shown.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
};

/**
 * What makes a JSON value unstorable as a record, naming the field: nesting deeper than
 * MAX_JSON_DEPTH, or a number JSON parsing turned into Infinity (a literal beyond ±1.8e308).
 * Iterative, so no input can exhaust the stack.
 */
export function jsonProblem(value: unknown, field: string): string | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [field] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'number' && !Number.isFinite(v)) return `${fieldPath(path)}: number out of range`;
    if (!v || typeof v !== 'object') continue;
    if (path.length > MAX_JSON_DEPTH) return `${fieldPath(path)}: nested deeper than ${MAX_JSON_DEPTH} levels`;
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [key, child] of entries) stack.push({ value: child, path: [...path, key] });
  }
  return undefined;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 timestamp as integer microseconds since the epoch. Microseconds, not
 * milliseconds, because Python clients (Kernle) write `isoformat()` with six fraction
 * digits, and two distinct writes must not collapse into a tie. No zone = UTC.
 */
export function timestampMicros(value: string): number | undefined {
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone = 'Z'] = m;
  const wholeSeconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(wholeSeconds)) return undefined;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return (wholeSeconds - offsetMinutes * 60_000) * 1000 + micros;
}

/** JSON with object keys sorted, so equal records hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Content hash of a record state: breaks timestamp ties the same way on every server and device. */
export function contentHash(deleted: boolean, data: unknown): string {
  return createHash('sha256')
    .update(deleted ? 'delete\n' : 'upsert\n')
    .update(canonicalJson(data ?? null))
    .digest('hex');
}

/** A record's state as last-write-wins orders it: later timestamp wins, then greater hash. */
export interface Version {
  ts: number;
  hash: string;
}

export const newerThan = (a: Version, b: Version): boolean => a.ts > b.ts || (a.ts === b.ts && a.hash > b.hash);
