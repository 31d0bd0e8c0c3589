import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ignoreRules } from '../../../../../client/cli/sync/local-tree';

describe('.satchelignore', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'satchel-ignore-'));
    writeFileSync(join(root, '.satchelignore'), '# comment\n\n*.log\nbuild/\n/dist\ndocs/*.tmp\ncache/**\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('matches names at any depth, folders only with a trailing slash, and anchored paths from the root', () => {
    const ignored = ignoreRules(root);
    expect(ignored('a.log', false)).toBe(true);
    expect(ignored('deep/x/b.log', false)).toBe(true);
    expect(ignored('build', true)).toBe(true);
    expect(ignored('src/build', true)).toBe(true);
    expect(ignored('build', false)).toBe(false);
    expect(ignored('dist', true)).toBe(true);
    expect(ignored('src/dist', true)).toBe(false);
    expect(ignored('docs/a.tmp', false)).toBe(true);
    expect(ignored('docs/sub/a.tmp', false)).toBe(false);
    expect(ignored('cache/x/y', false)).toBe(true);
    expect(ignored('notes/todo.md', false)).toBe(false);
  });

  it('ignores nothing without the file', () => {
    expect(ignoreRules(join(root, 'missing'))('a.log', false)).toBe(false);
  });
});
