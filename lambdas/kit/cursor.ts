import { badRequest } from './errors';

/**
 * The one codec of the opaque cursors the APIs hand out: base64url of UTF-8 text (a sort key, a
 * path) or of JSON. Decoding is strict: only text this codec produced comes back (Node's base64
 * decoder skips characters it does not know, so a mangled cursor would otherwise decode to
 * something else), and a bad cursor is the client's mistake (400), never a 500.
 */

const refused = () => badRequest('cursor is not one this endpoint returned');

export function encodeCursor(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The text inside a cursor; `accept` adds the endpoint's own checks (e.g. the key prefix it pages). */
export function decodeCursor(cursor: string, accept: (text: string) => boolean = () => true, invalid: () => Error = refused): string {
  const bytes = Buffer.from(cursor, 'base64url');
  const text = bytes.toString('utf8');
  if (bytes.toString('base64url') !== cursor || encodeCursor(text) !== cursor || !accept(text)) throw invalid();
  return text;
}

export const encodeJsonCursor = (value: unknown): string => encodeCursor(JSON.stringify(value));

/** The value inside a JSON cursor, as `parse` reads it (undefined: not one of ours). */
export function decodeJsonCursor<T>(cursor: string, parse: (value: unknown) => T | undefined, invalid: () => Error = refused): T {
  let value: T | undefined;
  try {
    value = parse(JSON.parse(decodeCursor(cursor, () => true, invalid)));
  } catch (error) {
    if (error instanceof SyntaxError) throw invalid();
    throw error;
  }
  if (value === undefined) throw invalid();
  return value;
}
