import { createHash } from 'node:crypto';
import { badRequest } from '../../kit/errors';
import { decodeJsonCursor, encodeJsonCursor } from '../../kit/cursor';
import { RECORD_PREFIX } from './store';

/**
 * Pull cursors. Each names the agent partition it belongs to (a short hash of the partition key),
 * so a cursor of another agent or tenant is refused instead of silently skipping changes.
 *   `c`: incremental, changes after sequence `s`
 *   `f`: a `full: true` pull, live records after key `k`, snapshot anchored at frontier `w`
 *   `r`: a full resync (a pull from before the compacted part of the log): the same snapshot
 *        paging as `f`, answered to a pull without `full`
 */
export type Cursor = { kind: 'c'; s: number } | { kind: 'f' | 'r'; k: string | null; w: number };

const agentTag = (pk: string): string => createHash('sha256').update(pk).digest('base64url').slice(0, 12);

export const encodeCursor = (pk: string, cursor: Cursor): string => encodeJsonCursor({ a: agentTag(pk), ...cursor });

const position = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const recordKey = (value: unknown): value is string | null =>
  value === null || (typeof value === 'string' && value.startsWith(RECORD_PREFIX) && value.length <= 1100);

const notOurs = () => badRequest('cursor: not a cursor this API returned');
const parse = (text: string): Record<string, unknown> =>
  decodeJsonCursor(
    text,
    (value) => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined),
    notOurs,
  );

/**
 * Reads a cursor this API returned for this agent. Cursors written before cursors carried a kind
 * and an agent tag (`{s}` and `{f, w}`) are still read.
 */
export function decodeCursor(pk: string, text: string): Cursor {
  const c = parse(text);
  if (c.a !== undefined && c.a !== agentTag(pk)) throw badRequest('cursor: this cursor belongs to another agent');
  const kind = c.kind ?? ('s' in c ? 'c' : 'f');
  if (kind === 'c' && position(c.s)) return { kind, s: c.s };
  const key = c.k !== undefined ? c.k : c.f;
  if ((kind === 'f' || kind === 'r') && position(c.w) && recordKey(key)) return { kind, k: key, w: c.w };
  throw notOurs();
}
