import * as z from 'zod';

/**
 * What DynamoDB (through the document client) can store, checked before a write so that a client's
 * value is refused with a 400 naming the field instead of failing the write with a 500:
 * - numbers: finite, within ±2^53 (the document client refuses larger ones rather than lose
 *   precision) and 0 or at least 1e-130 in magnitude (DynamoDB's smallest; smaller ones underflow);
 * - nesting: an item's attribute holds at most 31 levels of maps and lists (measured against
 *   DynamoDB Local: 31 stores, 32 is refused);
 * - map keys: not empty.
 */
export const DYNAMO_MAX_NESTING = 31;
const MIN_MAGNITUDE = 1e-130;

export function numberProblem(n: number): string | undefined {
  if (!Number.isFinite(n)) return 'must be a finite number';
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;
  if (n !== 0 && Math.abs(n) < MIN_MAGNITUDE) return `must be 0 or at least ${MIN_MAGNITUDE} in magnitude`;
  return undefined;
}

/**
 * Why `value` (parsed JSON) cannot be stored with at most `maxNesting` levels of objects and arrays,
 * or undefined. Walks with its own stack, so a value nested 10,000 levels deep costs no recursion.
 */
export function jsonProblem(value: unknown, maxNesting: number): string | undefined {
  const stack: { value: unknown; depth: number; at: string }[] = [{ value, depth: 0, at: '' }];
  while (stack.length) {
    const { value: v, depth, at } = stack.pop()!;
    if (typeof v === 'number') {
      const problem = numberProblem(v);
      if (problem) return `${at ? `${at.slice(1)}: ` : ''}${problem}`;
    } else if (v !== null && typeof v === 'object') {
      if (depth + 1 > maxNesting) return `must not nest objects and arrays more than ${maxNesting} levels deep`;
      for (const [key, child] of Object.entries(v)) {
        if (key === '' && !Array.isArray(v)) return `${at ? `${at.slice(1)}: ` : ''}object keys must not be empty`;
        stack.push({ value: child, depth: depth + 1, at: `${at}.${key}` });
      }
    }
  }
  return undefined;
}

/**
 * Where `value` (parsed JSON) nests objects and arrays more than `levels` deep, as the path of its
 * top-level field (`[]` for the value itself), or undefined; no recursion.
 */
export function tooDeepAt(value: unknown, levels: number): string[] | undefined {
  const stack: { value: unknown; depth: number; field: string[] }[] = [{ value, depth: 0, field: [] }];
  while (stack.length) {
    const { value: v, depth, field } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > levels) return field;
    for (const [key, child] of Object.entries(v)) stack.push({ value: child, depth: depth + 1, field: depth === 0 ? [key] : field });
  }
  return undefined;
}

/** A number DynamoDB stores as sent. */
export const storableNumber = () =>
  z.number().superRefine((n, ctx) => {
    const problem = numberProblem(n);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * Any JSON value stored as given inside an item, `containersAbove` maps deep (0 for a top-level
 * attribute), so its own nesting may use what DynamoDB leaves.
 */
export function storableJson<S extends z.ZodType>(schema: S, containersAbove: number) {
  const maxNesting = DYNAMO_MAX_NESTING - containersAbove;
  return schema.superRefine((value, ctx) => {
    const problem = jsonProblem(value, maxNesting);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}
