import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSatchelClient } from '../../../client/sdk';
import { pull, push, status } from '../../../client/cli/sync/engine';
import { startTestApi, type TestApi } from '../../support/api';
import { write } from '../../support/sync-folders';

let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-sync-cli-'));
  process.env.XDG_CACHE_HOME = join(work, 'cache'); // where pushes keep their resume journal
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

/** Every file under root, path -> bytes. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out.set(prefix + e.name, readFileSync(join(dir, e.name)));
    }
  };
  walk(root, '');
  return out;
}

async function clientFor(agent: string) {
  const { key } = await api.key({ agent, surfaces: ['sync'] });
  return { key, client: createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 1 }) };
}

describe('satchel sync push / pull', () => {
  it('round-trips 200 files (nested, empty, unicode, binary) byte-identically; re-runs move nothing', async () => {
    const { client } = await clientFor('roundtrip');
    const source = join(work, 'source');
    const expected = new Map<string, Buffer>();
    const add = (path: string, bytes: Buffer | string) => {
      write(source, path, bytes);
      expected.set(path, Buffer.from(bytes));
    };
    add('empty.txt', '');
    add('binary.bin', randomBytes(300 * 1024));
    add('ünïcødé/日本語 ファイル.md', '# こんにちは\n');
    add('emoji/🚀 launch.txt', 'to the moon');
    add('MEMORY.md', 'remember this');
    add('sessions/s1.jsonl', '{"a":1}\n');
    add('.satchelignore', 'build/\n*.log\n');
    for (let i = 0; expected.size < 200; i++) add(`deep/d${i % 7}/n${i % 3}/file-${i}.txt`, `content ${i}\n`.repeat(i % 50));
    write(source, '.git/HEAD', 'ref: refs/heads/main');
    write(source, 'node_modules/x/index.js', 'module.exports = 1');
    write(source, 'build/out.js', 'generated');
    write(source, 'logs/a.log', 'noise');

    const first = await push(client, source);
    expect(first.upload).toHaveLength(200);
    expect(first.conflicts).toEqual([]);
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual([...expected.keys()].sort());

    const again = await push(client, source);
    expect(again.upload).toEqual([]);
    expect(again.unchanged).toBe(200);

    const target = join(work, 'restored');
    const pulled = await pull(client, target);
    expect(pulled.downloaded).toBe(200);
    const restored = tree(target);
    expect([...restored.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, bytes] of expected) expect([path, restored.get(path)?.equals(bytes)]).toEqual([path, true]);

    expect((await pull(client, target)).downloaded).toBe(0);
  });

  it('uploads only what changed or is missing, deletes with --delete, and status shows what would move', async () => {
    const { client } = await clientFor('changes');
    const dir = join(work, 'changes');
    for (let i = 0; i < 10; i++) write(dir, `f${i}.txt`, `v1 ${i}`);
    await push(client, dir);
    write(dir, 'f3.txt', 'v2');
    rmSync(join(dir, 'f7.txt'));
    write(dir, 'new.txt', 'new');
    const s = await status(client, dir, { delete: true });
    expect(s.upload.map((f) => f.path).sort()).toEqual(['f3.txt', 'new.txt']);
    expect(s.remove).toEqual(['f7.txt']);
    // f3.txt changed here only: a pull keeps it (nothing newer to fetch), a push uploads it
    expect(s.download).toEqual(['f7.txt']);
    expect(s.kept).toEqual([]);
    const kept = await push(client, dir);
    expect(kept.upload.map((f) => f.path).sort()).toEqual(['f3.txt', 'new.txt']);
    expect(Object.keys((await client.syncGetManifest()).files)).toContain('f7.txt');
    const pruned = await push(client, dir, { delete: true });
    expect(pruned.upload).toEqual([]);
    expect(pruned.remove).toEqual(['f7.txt']);
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual(
      [...Array(10).keys()]
        .filter((i) => i !== 7)
        .map((i) => `f${i}.txt`)
        .concat('new.txt')
        .sort(),
    );
  });

  it('a push interrupted after its uploads confirms them on the next run instead of uploading again', async () => {
    const { client } = await clientFor('interrupted');
    const dir = join(work, 'interrupted');
    for (let i = 0; i < 5; i++) write(dir, `doc${i}.md`, `content ${i}`);
    const failingConfirm = { ...client, syncConfirmUpload: async () => Promise.reject(new Error('connection lost')) };
    await expect(push(failingConfirm, dir)).rejects.toThrow('connection lost');
    expect(Object.keys((await client.syncGetManifest()).files)).toEqual([]);
    write(dir, 'doc4.md', 'changed after the interruption');

    const resumed = await push(client, dir);
    expect(resumed.upload.map((f) => f.path)).toEqual(['doc4.md']);
    expect(resumed.resumed).toBe(4); // counted, so the summary adds up
    expect(resumed.uploadedBytes).toBe(Buffer.byteLength('changed after the interruption'));
    const files = (await client.syncGetManifest()).files;
    expect(Object.keys(files).sort()).toEqual(['doc0.md', 'doc1.md', 'doc2.md', 'doc3.md', 'doc4.md']);
    expect((await push(client, dir)).upload).toEqual([]);
  });

  it('large files go up one by one beside the small ones, and an interrupted push resumes them as well', async () => {
    const { client } = await clientFor('large-resume');
    const dir = join(work, 'large-resume');
    const large = [randomBytes(2 * 1024 * 1024), randomBytes(3 * 1024 * 1024 + 7), randomBytes(1024 * 1024 + 1)];
    large.forEach((bytes, i) => {
      write(dir, `media/clip${i}.bin`, bytes);
    });
    for (let i = 0; i < 3; i++) write(dir, `notes/n${i}.md`, `note ${i}`);
    const failingConfirm = { ...client, syncConfirmUpload: async () => Promise.reject(new Error('connection lost')) };
    // clip1 goes up as a multipart upload: its resume needs the upload id the journal keeps
    const options = { multipartThreshold: 3 * 1024 * 1024 };
    await expect(push(failingConfirm, dir, options)).rejects.toThrow('connection lost');
    expect(Object.keys((await client.syncGetManifest()).files)).toEqual([]);

    const resumed = await push(client, dir, options);
    expect(resumed.upload).toEqual([]);
    expect(resumed.uploadedBytes).toBe(0);
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual([
      'media/clip0.bin',
      'media/clip1.bin',
      'media/clip2.bin',
      'notes/n0.md',
      'notes/n1.md',
      'notes/n2.md',
    ]);
    const target = join(work, 'large-resume-restored');
    await pull(client, target);
    large.forEach((bytes, i) => {
      expect(readFileSync(join(target, 'media', `clip${i}.bin`)).equals(bytes)).toBe(true);
    });
  });

  it('pull with delete makes the folder the backup, leaving ignored files alone; partial modes refuse it', async () => {
    const { client } = await clientFor('pull-delete');
    const source = join(work, 'pull-delete-src');
    write(source, 'keep.md', 'kept');
    write(source, 'sub/also.md', 'also kept');
    await push(client, source);
    const dir = join(work, 'pull-delete-dst');
    write(dir, 'keep.md', 'edited locally');
    write(dir, 'stray.md', 'not in the backup');
    write(dir, 'sub/stray.bin', 'nor this');
    write(dir, 'node_modules/pkg/index.js', 'ignored');

    await expect(pull(client, dir, { mode: 'memory', delete: true })).rejects.toThrow(/needs a full restore/);
    expect(tree(dir).has('stray.md')).toBe(true);

    // keep.md differs and this folder never synced it: kept, and then --delete removes nothing
    const careful = await pull(client, dir, { delete: true });
    expect(careful.kept.map((k) => k.path)).toEqual(['keep.md']);
    expect(careful.removed).toEqual([]);
    expect(tree(dir).has('stray.md')).toBe(true);

    const result = await pull(client, dir, { delete: true, overwrite: true });
    expect(result.removed.sort()).toEqual(['stray.md', 'sub/stray.bin']);
    expect([...tree(dir).keys()].sort()).toEqual(['keep.md', 'node_modules/pkg/index.js', 'sub/also.md']);
    expect(readFileSync(join(dir, 'keep.md'), 'utf8')).toBe('kept');
  });

  it("bytes sent behind the manifest's back (an unconfirmed upload) never reach a restore", async () => {
    const { client } = await clientFor('tampered');
    const dir = join(work, 'tampered-src');
    write(dir, 'a.txt', 'original');
    await push(client, dir);
    const { urls } = await client.syncPresign({ files: [{ path: 'a.txt', operation: 'put' }] });
    const signed = urls[0] as { url: string; headers: Record<string, string> };
    expect((await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'tampered' })).status).toBe(200);
    const target = join(work, 'tampered-dst');
    await pull(client, target);
    expect(readFileSync(join(target, 'a.txt'), 'utf8')).toBe('original');
  });

  it('pushes large files as multipart uploads and pulls them back intact', async () => {
    const { client } = await clientFor('multipart');
    const dir = join(work, 'multipart');
    const big = randomBytes(11 * 1024 * 1024 + 5);
    write(dir, 'big/video.bin', big);
    write(dir, 'small.txt', 'small');
    const result = await push(client, dir, { multipartThreshold: 6 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    expect(result.conflicts).toEqual([]);
    expect((await client.syncGetManifest()).files['big/video.bin'].size).toBe(big.length);
    const target = join(work, 'multipart-restored');
    await pull(client, target);
    expect(readFileSync(join(target, 'big', 'video.bin')).equals(big)).toBe(true);
  });

  it('runs as the satchel command with SATCHEL_URL and SATCHEL_API_KEY', async () => {
    const { key, client } = await clientFor('command');
    const dir = join(work, 'command');
    write(dir, 'hello.md', 'hi');
    const run = promisify(execFile);
    const env = { ...process.env, SATCHEL_URL: api.url, SATCHEL_API_KEY: key };
    const cli = join(__dirname, '../../../client/cli/main.ts');
    const tsx = join(__dirname, '../../../node_modules/.bin/tsx');
    const pushed = await run(tsx, [cli, 'sync', 'push', dir], { env });
    expect(pushed.stdout).toMatch(/pushed 1 file /);
    expect(pushed.stderr).toMatch(/upload hello.md/);
    const st = await run(tsx, [cli, 'sync', 'status', dir], { env });
    expect(st.stdout).toMatch(/0 to push, 0 to delete, 0 to pull, 1 unchanged/);
    expect(Object.keys((await client.syncGetManifest()).files)).toEqual(['hello.md']);
  });
});
