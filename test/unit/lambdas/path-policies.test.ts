import { AppError } from '../../../lambdas/kit/errors';
import { fileNameProblem } from '../../../lambdas/shared/file-names';
import { itemPath, pathPrefix } from '../../../lambdas/items/service/paths';
import { normalisePath } from '../../../lambdas/registry/service/paths';
import { pathProblem } from '../../../lambdas/shared/sync-paths';

/**
 * One rule for control characters on every surface: C0, DEL and C1 (U+0080–U+009F) are refused in
 * every name a client sends (before, only workspace sync refused C1; an item path, a Desktop file
 * name or a registry root could carry an invisible U+0085).
 */
const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    return (error as AppError).message;
  }
  throw new Error('accepted');
};

describe('path policies of the surfaces', () => {
  it.each([0x00, 0x1f, 0x7f, 0x80, 0x85, 0x9f].map((code) => [code.toString(16).padStart(4, '0'), String.fromCharCode(code)]))(
    'refuse control character U+%s everywhere',
    (_code, c) => {
      expect(pathProblem(`notes/a${c}b.md`)).toBe('contains a control character');
      expect(fileNameProblem(`report${c}.txt`)).toBe('must not contain control characters');
      expect(refused(() => itemPath(`/docs/a${c}b.md`))).toBe('itemPath must not contain control characters');
      expect(refused(() => pathPrefix(`/docs/${c}`))).toBe('prefix must not contain control characters');
      expect(refused(() => normalisePath(`/home/me/a${c}b`, 'root'))).toBe('root must not contain control characters');
    },
  );

  it('accept the printable characters next to the control ranges', () => {
    for (const c of ['\u00a0', '\u00a1', '\u00e9', '~']) {
      expect(pathProblem(`notes/a${c}b.md`)).toBeUndefined();
      expect(fileNameProblem(`report${c}.txt`)).toBeUndefined();
      expect(itemPath(`/docs/a${c}b.md`)).toBe(`/docs/a${c}b.md`);
      expect(normalisePath(`/home/me/a${c}b`, 'root')).toBe(`/home/me/a${c}b`);
    }
  });

  it('keep each surface’s own shape: sync and files relative, items and registry absolute', () => {
    expect(pathProblem('/notes/a.md')).toBe('is absolute (it must be relative, without a leading "/")');
    expect(fileNameProblem('/a.txt')).toBe('must be relative to the Desktop, not an absolute path');
    expect(itemPath('docs//a.md')).toBe('/docs/a.md');
    expect(normalisePath('/a/./b/../c/', 'root')).toBe('/a/c');
    expect(pathProblem('notes//a.md')).toBe('contains an empty segment ("//")');
    expect(pathProblem('cafe\u0301.md')).toBe('is not NFC-normalised');
  });
});
