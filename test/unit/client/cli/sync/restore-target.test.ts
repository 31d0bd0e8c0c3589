import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { symlinkedParent } from '../../../../../client/cli/sync/restore-target';

describe('symlinkedParent', () => {
  let root: string;
  let outside: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'satchel-target-'));
    outside = mkdtempSync(join(tmpdir(), 'satchel-outside-'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    symlinkSync(outside, join(root, 'a', 'link'));
    writeFileSync(join(root, 'a', 'file'), 'x');
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('checks each folder once, and still checks a new folder under one already checked', async () => {
    const checked = new Set<string>();
    expect(await symlinkedParent(root, 'a/b/one.txt', checked)).toBeUndefined();
    expect(await symlinkedParent(root, 'a/b/two.txt', checked)).toBeUndefined();
    expect(await symlinkedParent(root, 'top.txt', checked)).toBeUndefined();
    expect(await symlinkedParent(root, 'a/link/x.txt', checked)).toBe('its folder a/link is a symbolic link');
    expect(await symlinkedParent(root, 'a/link/deeper/y.txt', checked)).toBe('its folder a/link is a symbolic link');
    expect(await symlinkedParent(root, 'a/file/z.txt', checked)).toBe('a/file is a file, not a folder');
    // a missing folder is remembered too: the restore creates it as a real folder
    expect(await symlinkedParent(root, 'new/deep/w.txt', checked)).toBeUndefined();
    expect([...checked].sort()).toEqual(['a', 'a/b', 'new', 'new/deep']);
  });
});
