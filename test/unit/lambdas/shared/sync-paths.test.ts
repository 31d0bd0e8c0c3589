import { pathProblem } from '../../../../lambdas/shared/sync-paths';
import { checkPrefix } from '../../../../lambdas/sync/service/paths';
import { globMatcher } from '../../../../lambdas/shared/glob';
import { sessionOf } from '../../../../lambdas/sync/service/modes';
import { blobKey, entryKey, locationKey, multipartKey, newCopyLocation, stagingKey } from '../../../../lambdas/sync/service/keys';
import { isUploadId, newNonce, parseUploadId, uploadIdFor } from '../../../../lambdas/shared/sync-upload-ids';
import { MAX_PARTS, partSizeFor } from '../../../../lambdas/shared/sync-limits';
import { partSizes } from '../../../../lambdas/sync/service/objects';

describe('workspace paths', () => {
  it.each(['a', 'notes/todo.md', 'dir/ünï cødé 🚀.md', '.hidden/.env', 'a..b/c...', 'x'.repeat(1022), 'é'.repeat(511)])(
    'accepts %s',
    (p) => {
      expect(pathProblem(p)).toBeUndefined();
    },
  );

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
    // the manifest's sort key F#<path> holds 1,024 bytes
    ['x'.repeat(1023), /1022 bytes/],
    ['é'.repeat(512), /1022 bytes/],
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

  it('keeps every object key within S3 limits and apart from the others', () => {
    const agent = { tenant: 't1', agentId: 'agt_a' };
    const hash = 'a'.repeat(64);
    const long = 'é'.repeat(511);
    for (const path of ['notes/a.md', long]) {
      for (const key of [
        blobKey(agent, path, hash),
        stagingKey(agent, path),
        stagingKey(agent, path, hash),
        stagingKey(agent, path, hash, 5 * 1024 ** 4),
        locationKey(agent, path, newCopyLocation()),
        multipartKey(agent, path, newNonce()),
      ]) {
        expect(Buffer.byteLength(key)).toBeLessThan(300);
      }
    }
    expect(blobKey(agent, 'notes/a.md', hash)).toMatch(/^sync\/t1\/agt_a\/o\/[0-9a-f]{64}\/a{64}$/);
    expect(stagingKey(agent, 'notes/a.md')).toMatch(/^incoming\/t1\/agt_a\/[0-9a-f]{64}$/);
    expect(stagingKey(agent, 'notes/a.md', hash)).toMatch(/^incoming\/t1\/agt_a\/[0-9a-f]{64}\.a{64}$/);
    expect(stagingKey(agent, 'notes/a.md', hash, 4096)).toMatch(/^incoming\/t1\/agt_a\/[0-9a-f]{64}\.a{64}\.4096$/);
    const copy = newCopyLocation();
    expect(copy).not.toBe(newCopyLocation());
    expect(entryKey(agent, { path: 'notes/a.md', hash, size: 1, modified: '', location: copy })).toMatch(
      new RegExp(`^sync/t1/agt_a/o/[0-9a-f]{64}/${copy}$`),
    );
    const entry = { path: 'notes/a.md', hash, size: 1, modified: '' };
    expect(entryKey(agent, { ...entry, location: 'b' })).toBe(blobKey(agent, 'notes/a.md', hash));
    expect(entryKey(agent, entry)).toBe('sync/t1/agt_a/f/notes/a.md'); // entries older than staging
    expect(entryKey(agent, { ...entry, path: 'x'.repeat(1022) })).toMatch(/^sync\/t1\/agt_a\/h\/[0-9a-f]{64}$/);
  });

  it('binds multipart upload ids to their path and refuses malformed ones', () => {
    const nonce = newNonce();
    const id = uploadIdFor('big.bin', nonce, 'VXBsb2FkIElE.x_y-z');
    expect(isUploadId(id)).toBe(true);
    expect(parseUploadId('big.bin', id)).toEqual({ nonce, s3UploadId: 'VXBsb2FkIElE.x_y-z' });
    expect(parseUploadId('other.bin', id)).toBeUndefined();
    for (const bad of ['', 'abc', `${id}\ud800`, `${id.slice(0, 40)}..`, `${id.slice(0, 40)}../../x`, `${id}/x`])
      expect(isUploadId(bad)).toBe(false);
  });

  it('sizes multipart parts within S3 limits up to 5 TiB', () => {
    const mib = 1024 * 1024;
    expect(partSizeFor(100 * mib, 64 * mib)).toBe(64 * mib);
    expect(partSizes(100 * mib, 64 * mib)).toEqual([64 * mib, 36 * mib]);
    const max = 5 * 1024 ** 4;
    expect(partSizes(max, partSizeFor(max, 64 * mib)).length).toBeLessThanOrEqual(MAX_PARTS);
    expect(partSizeFor(max, 64 * mib)).toBeLessThanOrEqual(5 * 1024 ** 3);
  });
});
