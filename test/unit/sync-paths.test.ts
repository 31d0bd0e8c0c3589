import { pathProblem, checkPrefix } from '../../lambdas/sync/paths';
import { globMatcher } from '../../lambdas/sync/glob';
import { sessionOf } from '../../lambdas/sync/modes';
import { MAX_PARTS, objectKey, partCount, partSizeFor } from '../../lambdas/sync/objects';

describe('workspace paths', () => {
  it.each(['a', 'notes/todo.md', 'dir/ünï cødé 🚀.md', '.hidden/.env', 'a..b/c...', 'x'.repeat(1024), 'é'.repeat(512)])('accepts %s', (p) => {
    expect(pathProblem(p)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['a/../b', /"\.\."/],
    ['..', /"\.\."/],
    ['./a', /"\."/],
    ['a/./b', /"\."/],
    ['a//b', /empty segment/],
    ['a/', /ends with/],
    ['a\\b', /backslash/],
    ['a\nb', /control/],
    ['a\u007fb', /control/],
    ['a\u0085b', /control/],
    ['e\u0301', /NFC/],
    ['x'.repeat(1025), /1024 bytes/],
    ['é'.repeat(513), /1024 bytes/],
    ['a\ud800b', /surrogate/],
  ])('refuses %j', (p, reason) => {
    expect(pathProblem(p)).toMatch(reason);
  });

  it('accepts folder prefixes and refuses bad ones', () => {
    expect(checkPrefix('notes/')).toBe('notes/');
    expect(checkPrefix('no')).toBe('no');
    expect(() => checkPrefix('../')).toThrow(/segment/);
  });
});

describe('globs, sessions and object keys', () => {
  it('matches memory patterns at the documented depths', () => {
    const memory = globMatcher(['**/MEMORY.md', 'memory/**', '**/*.memory.md']);
    expect(['MEMORY.md', 'a/b/MEMORY.md', 'memory/x/y.md', 'topic.memory.md', 'a/topic.memory.md'].every(memory)).toBe(true);
    expect(['MEMORY.md.bak', 'notes/memory/x.md', 'memory', 'xMEMORY.md', 'a/memory.md'].some(memory)).toBe(false);
  });

  it('names sessions by file name without the last extension, directly under sessions/', () => {
    expect(sessionOf('sessions/abc.jsonl')).toBe('abc');
    expect(sessionOf('sessions/a.b.md')).toBe('a.b');
    expect(sessionOf('sessions/plain')).toBe('plain');
    expect(sessionOf('sessions/.hidden')).toBe('.hidden');
    expect(sessionOf('sessions/x/y.md')).toBeUndefined();
    expect(sessionOf('other/y.md')).toBeUndefined();
  });

  it('keeps object keys within S3 limits', () => {
    const agent = { tenant: 't1', agentId: 'agt_a' };
    expect(objectKey(agent, 'notes/a.md')).toBe('sync/t1/agt_a/f/notes/a.md');
    const long = objectKey(agent, 'x'.repeat(1024));
    expect(long).toMatch(/^sync\/t1\/agt_a\/h\/[0-9a-f]{64}$/);
  });

  it('sizes multipart parts within S3 limits up to 5 TiB', () => {
    const mib = 1024 * 1024;
    expect(partSizeFor(100 * mib)).toBe(64 * mib);
    expect(partCount(100 * mib)).toBe(2);
    const max = 5 * 1024 ** 4;
    expect(partCount(max)).toBeLessThanOrEqual(MAX_PARTS);
    expect(partSizeFor(max)).toBeLessThanOrEqual(5 * 1024 ** 3);
  });
});
