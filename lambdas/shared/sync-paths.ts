import { hasControlCharacter, hasLoneSurrogate, isNfc, segmentsOf, utf8Bytes } from './path-rules';

/** Longest workspace path, in bytes of UTF-8: the manifest's sort key `F#<path>` holds at most 1,024 bytes. */
export const MAX_PATH_BYTES = 1022;

/**
 * Why a client path cannot be a workspace path, or undefined when it can. A workspace path is
 * relative POSIX (`notes/todo.md`): no leading `/`, no empty, `.` or `..` segments, no
 * backslash or control characters, NFC-normalised, at most 1,022 bytes of UTF-8.
 */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (!isNfc(path)) return 'is not NFC-normalised';
  if (utf8Bytes(path) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes of UTF-8`;
  if (hasControlCharacter(path)) return 'contains a control character';
  if (path.includes('\\')) return 'contains a backslash (use "/" between segments)';
  if (path.startsWith('/')) return 'is absolute (it must be relative, without a leading "/")';
  if (path.endsWith('/')) return 'ends with "/" (it must name a file)';
  for (const segment of segmentsOf(path)) {
    if (segment === '') return 'contains an empty segment ("//")';
    if (segment === '.' || segment === '..') return `contains a "${segment}" segment`;
  }
  if (hasLoneSurrogate(path)) return 'contains a lone surrogate';
  return undefined;
}
