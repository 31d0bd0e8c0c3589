/**
 * Primitives of the path rules every surface applies to names a client sends (workspace paths, item
 * paths, Desktop file names, machine paths). Each surface keeps its own policy and messages on top
 * (which rules, which limit, absolute or relative); these say what each rule means, once.
 */

/** C0 controls and DEL: never part of a name a client can type. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: this module is where control characters are named
const C0_AND_DEL = /[\u0000-\u001f\u007f]/;
/** C0, DEL and the C1 controls (U+0080–U+009F): C1 is invisible in terminals and logs, so a name holding it can pose as another. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: this module is where control characters are named
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** True when `text` holds a control character: C0 and DEL always, C1 as well unless `c1` is false. */
export const hasControlCharacter = (text: string, { c1 = true }: { c1?: boolean } = {}): boolean =>
  (c1 ? ANY_CONTROL : C0_AND_DEL).test(text);

export { hasLoneSurrogate } from './text';

/** True when `text` is already in Unicode normalisation form C (what macOS and Linux clients may disagree on). */
export const isNfc = (text: string): boolean => text === text.normalize('NFC');

/** Length in bytes of UTF-8 (what DynamoDB keys and S3 keys are limited by). */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The `/`-separated segments of a path, empty ones included (`a//b` -> `a`, ``, `b`). */
export const segmentsOf = (path: string): string[] => path.split('/');

/** The first `.` or `..` segment of a path, if any. */
export const dotSegment = (path: string): '.' | '..' | undefined => segmentsOf(path).find((s): s is '.' | '..' => s === '.' || s === '..');

/** True when the path holds an empty segment between two separators (`a//b`); a leading or trailing `/` does not count. */
export const hasEmptyInnerSegment = (path: string): boolean =>
  segmentsOf(path)
    .slice(1, -1)
    .some((s) => s === '');

/** The longest segment's length in bytes of UTF-8. */
export const longestSegmentBytes = (path: string): number => Math.max(0, ...segmentsOf(path).map(utf8Bytes));

/**
 * Lexical POSIX normalisation of an absolute path: `.` and empty segments dropped, `..` removes the
 * segment before it (and stays at `/` at the top), no trailing slash except for `/` itself.
 */
export function normaliseAbsolute(path: string): string {
  const out: string[] = [];
  for (const segment of segmentsOf(path)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}
