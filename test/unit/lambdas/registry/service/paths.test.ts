import { AppError } from '../../../../../lambdas/kit/errors';
import { baseName, normaliseAddDirs, normalisePath, selfAndAncestors } from '../../../../../lambdas/registry/service/paths';

const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a refusal');
};

describe('normalisePath', () => {
  it.each([
    ['/', '/'],
    ['//', '/'],
    ['/a/b/', '/a/b'],
    ['/a//b///c', '/a/b/c'],
    ['/a/./b/.', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/a/b/../../..', '/'],
    ['/../a', '/a'],
    ['/a/..b/c..', '/a/..b/c..'],
    ['/a/.../b', '/a/.../b'],
    ['/with space/ünïcode', '/with space/ünïcode'],
  ])('%s -> %s', (raw, expected) => expect(normalisePath(raw, 'root_dir')).toBe(expected));

  it.each([
    ['relative', 'root_dir must be an absolute path (starting with "/"), got "relative"'],
    ['./a', 'root_dir must be an absolute path (starting with "/"), got "./a"'],
    ['C:\\work', 'root_dir must be an absolute path (starting with "/"), got "C:\\work"'],
    ['', 'root_dir is required and must not be empty'],
    ['   ', 'root_dir is required and must not be empty'],
    ['/a\u0000b', 'root_dir must not contain control characters'],
    ['/a\nb', 'root_dir must not contain control characters'],
  ])('refuses %j with 400', (raw, message) => {
    const error = refusal(() => normalisePath(raw, 'root_dir'));
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(400);
    expect(error.message).toBe(message);
  });

  it('bounds the length, measured after normalisation', () => {
    expect(refusal(() => normalisePath(`/${'x'.repeat(4096)}`, 'root_dir')).message).toBe('root_dir is longer than 4096 characters');
    expect(normalisePath(`/a${'/.'.repeat(3000)}`, 'p')).toBe('/a');
  });
});

describe('normaliseAddDirs', () => {
  it('skips blanks, normalises, de-duplicates keeping the first, and drops the root', () => {
    expect(normaliseAddDirs(['', ' ', '/b/', '/root', '/root/./', '/a', '/b', '/c/../a'], '/root')).toEqual(['/b', '/a']);
  });

  it('names the index of a relative entry', () => {
    expect(refusal(() => normaliseAddDirs(['/ok', '', 'rel'], '/r')).message).toBe(
      'add_dirs[2] must be an absolute path (starting with "/"), got "rel"',
    );
  });
});

describe('baseName and selfAndAncestors', () => {
  it('take a normalised path apart', () => {
    expect(baseName('/a/b')).toBe('b');
    expect(baseName('/')).toBe('');
    expect(selfAndAncestors('/a/b/c')).toEqual(['/a/b/c', '/a/b', '/a', '/']);
    expect(selfAndAncestors('/')).toEqual(['/']);
  });
});
