import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentProgress } from '../../../client/cli/progress';
import { pull, push, status } from '../../../client/cli/sync/engine';
import { syncClient, syncFolders, write } from '../../support/sync-folders';

const env = syncFolders('satchel-sync-local-');

const read = (root: string, path: string) => readFileSync(join(root, ...path.split('/')), 'utf8');

async function clientFor(agent: string) {
  const { key, client } = await syncClient(env.api, agent);
  return Object.assign(client, { key });
}

/** A backup of `agent` pushed from a folder holding `files`; `dir` is where the agent pulls it. */
async function backedUp(agent: string, files: Record<string, string>) {
  const client = await clientFor(agent);
  const source = join(env.work, `${agent}-source`);
  for (const [path, bytes] of Object.entries(files)) write(source, path, bytes);
  await push(client, source);
  return { client, source, dir: join(env.work, `${agent}-restore`) };
}

describe('a pull meets local things in the way', () => {
  it('a folder where the backup has a file is kept and reported; the rest is restored and --delete removes nothing', async () => {
    const { client, dir } = await backedUp('folder-in-the-way', { 'report.md': 'the backup', 'notes/a.md': 'a' });
    write(dir, 'report.md/draft.txt', 'a folder of the same name, with work in it');
    write(dir, 'stray.txt', 'not in the backup');
    const result = await pull(client, dir, { delete: true, force: true });
    expect(result.kept).toEqual([{ path: 'report.md', reason: expect.stringMatching(/a folder of that name is here/) }]);
    expect(result.refused).toEqual([]);
    expect(result.downloaded).toBe(1);
    expect(read(dir, 'notes/a.md')).toBe('a');
    expect(read(dir, 'report.md/draft.txt')).toBe('a folder of the same name, with work in it');
    expect(result.removed).toEqual([]);
    expect(read(dir, 'stray.txt')).toBe('not in the backup');
    expect(readdirSync(dir).sort()).toEqual(['notes', 'report.md', 'stray.txt']); // no temporary file left
  });

  it('a file where the backup has a folder is kept and reported, not refused as a fault of the server', async () => {
    const { client, dir } = await backedUp('file-in-the-way', { 'notes/a.md': 'a', 'b.md': 'b' });
    write(dir, 'notes', 'a file named like the folder');
    const result = await pull(client, dir);
    expect(result.refused).toEqual([]);
    expect(result.kept).toEqual([{ path: 'notes/a.md', reason: expect.stringMatching(/notes is a file, not a folder/) }]);
    expect(read(dir, 'notes')).toBe('a file named like the folder');
    expect(read(dir, 'b.md')).toBe('b');
  });
});

describe('a push meets files that change while it runs', () => {
  it('a file edited after its hashing is left out with a warning and the rest is pushed; a removed one too', async () => {
    const { client } = await syncClient(env.api, 'edited-during-push');
    const dir = join(env.work, 'edited-during-push');
    write(dir, 'small.md', 'as hashed');
    write(dir, 'big.bin', Buffer.alloc(2 * 1024 * 1024, 1)); // pushed on its own (over 1 MiB)
    write(dir, 'steady.md', 'unchanged');
    write(dir, 'gone.md', 'removed before its hashing');
    write(dir, 'back\\slash.md', 'a local name push skips with a warning, before hashing');
    const warnings: string[] = [];
    const result = await push(client, dir, {
      // the editor saves while the push runs: after the listing (skipped names are reported then) ...
      warn: (message) => {
        warnings.push(message);
        if (message.startsWith('skipped')) rmSync(join(dir, 'gone.md'));
      },
      // ... and after the hashing (the files to upload are counted then), before the uploads
      progress: {
        ...silentProgress,
        add: () => {
          write(dir, 'small.md', 'AS HASHED');
          write(dir, 'big.bin', Buffer.alloc(2 * 1024 * 1024 + 1, 2));
        },
      },
    });
    expect(result.conflicts.sort()).toEqual(['big.bin', 'small.md']);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'gone.md was removed while the push ran: not sent',
        'small.md changed while it was being pushed: not sent; run the push again to send it',
        'big.bin changed while it was being pushed: not sent; run the push again to send it',
      ]),
    );
    expect(Object.keys((await client.syncGetManifest()).files)).toEqual(['steady.md']);

    const again = await push(client, dir);
    expect(again.conflicts).toEqual([]);
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual(['big.bin', 'small.md', 'steady.md']);
  });
});

describe('a cache that cannot be written', () => {
  it('push and pull still work, with a warning saying how to keep their records', async () => {
    const { client } = await syncClient(env.api, 'read-only-cache');
    const dir = join(env.work, 'read-only-cache');
    write(dir, 'a.md', 'a');
    const cache = process.env.XDG_CACHE_HOME;
    const notAFolder = join(env.work, 'cache-is-a-file');
    write(notAFolder, '', 'a file where the cache folder should be'); // even root cannot write under it
    process.env.XDG_CACHE_HOME = notAFolder;
    try {
      const warnings: string[] = [];
      const warn = (message: string) => warnings.push(message);
      expect((await push(client, dir, { warn })).upload.map((f) => f.path)).toEqual(['a.md']);
      expect(warnings).toEqual([
        expect.stringMatching(/^cannot keep the push's resume journal \(ENOTDIR .*set XDG_CACHE_HOME to a writable folder$/),
        expect.stringMatching(/^cannot record what this folder synced \(ENOTDIR .*set XDG_CACHE_HOME to a writable folder$/),
      ]);
      expect(Object.keys((await client.syncGetManifest()).files)).toEqual(['a.md']);
      const restored = join(env.work, 'read-only-cache-restore');
      expect((await pull(client, restored, { warn })).downloaded).toBe(1);
      expect(read(restored, 'a.md')).toBe('a');
    } finally {
      process.env.XDG_CACHE_HOME = cache;
    }
  });
});

describe('.satchelignore and local names push skips', () => {
  it('push --delete never removes a backup file the folder ignores, nor one whose local name push skips', async () => {
    const { client } = await syncClient(env.api, 'ignored-not-gone');
    const dir = join(env.work, 'ignored-not-gone');
    write(dir, 'secrets.env', 'backed up before it was ignored');
    write(dir, 'build/out.js', 'built');
    write(dir, 'caf\u00e9.md', 'accent written one way');
    write(dir, 'a.md', 'a');
    await push(client, dir);

    write(dir, '.satchelignore', 'secrets.env\nbuild/\n');
    write(dir, 'cafe\u0301.md', 'the same name written the other way'); // now two local names of one path: both skipped
    const result = await push(client, dir, { delete: true });
    expect(result.remove).toEqual([]);
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual(
      ['.satchelignore', 'a.md', 'build/out.js', 'caf\u00e9.md', 'secrets.env'].sort(),
    );
    expect((await status(client, dir, { delete: true })).remove).toEqual([]);
  });

  it('a pull never writes a path this folder ignores, even over a local file of that name; a fresh folder gets everything', async () => {
    const { client, dir } = await backedUp('ignored-here', {
      'secrets.env': 'from the backup',
      'build/out.js': 'built elsewhere',
      'notes/a.md': 'a',
    });
    write(dir, '.satchelignore', 'secrets.env\nbuild/\n');
    write(dir, 'secrets.env', 'this machine only, never pushed');

    const result = await pull(client, dir, { overwrite: true });
    expect(result.ignored.sort()).toEqual(['build/out.js', 'secrets.env']);
    expect(read(dir, 'secrets.env')).toBe('this machine only, never pushed');
    expect(readdirSync(dir).sort()).toEqual(['.satchelignore', 'notes', 'secrets.env']);
    expect((await status(client, dir)).download).toEqual([]);

    const fresh = join(env.work, 'ignored-here-fresh');
    expect((await pull(client, fresh)).downloaded).toBe(3);
    expect(read(fresh, 'build/out.js')).toBe('built elsewhere');
  });
});

describe('two devices on one backup never undo each other', () => {
  /** A laptop folder pushed with `files`, and a desktop folder pulled from that backup. */
  async function twoDevices(agent: string, files: Record<string, string>) {
    const { client, source: laptop, dir: desktop } = await backedUp(agent, files);
    await pull(client, desktop);
    return { client, laptop, desktop };
  }

  it('a pull keeps a file edited here and not pushed yet; --overwrite replaces it', async () => {
    const { client, laptop, desktop } = await twoDevices('two-devices-pull', { 'plan.md': 'v1', 'notes.md': 'n1' });

    write(laptop, 'plan.md', 'v2 from the laptop');
    write(laptop, 'notes.md', 'n2 from the laptop');
    await push(client, laptop);
    write(desktop, 'plan.md', 'an edit on the desktop, not pushed yet');

    const result = await pull(client, desktop);
    expect(result.kept).toEqual([
      {
        path: 'plan.md',
        reason: expect.stringMatching(/changed here and in the backup since this folder last synced: keep the version you want/),
      },
    ]);
    expect(read(desktop, 'plan.md')).toBe('an edit on the desktop, not pushed yet');
    // a file not edited here is a stale copy: replaced
    expect(read(desktop, 'notes.md')).toBe('n2 from the laptop');

    const overwritten = await pull(client, desktop, { overwrite: true });
    expect(overwritten.kept).toEqual([]);
    expect(read(desktop, 'plan.md')).toBe('v2 from the laptop');
  });

  it("a push from a folder that missed another device's change keeps the backup's version; --overwrite replaces it", async () => {
    const { client, laptop, desktop } = await twoDevices('two-devices-push', { 'plan.md': 'v1', 'todo.md': 't1' });

    write(desktop, 'plan.md', 'v2 from the desktop');
    write(desktop, 'todo.md', 't2 from the desktop');
    await push(client, desktop);

    // the laptop did not pull: its plan.md is the old version, its todo.md a new edit
    write(laptop, 'todo.md', 't2 from the laptop');
    write(laptop, 'new.md', 'new on the laptop');
    const before = await status(client, laptop);
    expect(before.upload.map((f) => f.path)).toEqual(['new.md']);
    expect(before.held.map((h) => h.path)).toEqual(['plan.md', 'todo.md']);
    expect(before.download).toEqual(['plan.md']);
    expect(before.kept.map((k) => k.path)).toEqual(['todo.md']);
    const result = await push(client, laptop);
    expect(result.held).toEqual([
      { path: 'plan.md', reason: expect.stringMatching(/the backup has a newer version.*pull it first/) },
      { path: 'todo.md', reason: expect.stringMatching(/changed here and in the backup since this folder last synced/) },
    ]);
    expect(result.upload.map((f) => f.path)).toEqual(['new.md']);
    const backup = await client.syncReconstruct({ mode: 'full' });
    const bytes = async (path: string) => {
      const entry = backup.files.find((f) => f.path === path);
      return entry ? (await fetch(entry.url)).text() : undefined;
    };
    expect(await bytes('plan.md')).toBe('v2 from the desktop');
    expect(await bytes('todo.md')).toBe('t2 from the desktop');
    expect(await bytes('new.md')).toBe('new on the laptop');

    // the laptop's stale plan.md is replaced by a pull; its own edit of todo.md is kept
    const pulled = await pull(client, laptop);
    expect(read(laptop, 'plan.md')).toBe('v2 from the desktop');
    expect(pulled.kept.map((k) => k.path)).toEqual(['todo.md']);
    expect((await push(client, laptop, { overwrite: true })).held).toEqual([]);
    expect((await client.syncGetManifest()).files['todo.md'].size).toBe('t2 from the laptop'.length);
  });

  it('push --delete removes only what this folder synced and then removed; pull --delete keeps files never pushed', async () => {
    const { client, laptop, desktop } = await twoDevices('two-devices-delete', { 'old.md': 'old', 'keep.md': 'keep' });

    write(desktop, 'added.md', 'added on the desktop');
    await push(client, desktop);
    rmSync(join(laptop, 'old.md'));
    const pushed = await push(client, laptop, { delete: true });
    expect(pushed.remove).toEqual(['old.md']);
    expect(pushed.held).toEqual([{ path: 'added.md', reason: expect.stringMatching(/added to the backup since this folder last synced/) }]);
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual(['added.md', 'keep.md']);

    write(desktop, 'draft.md', 'written on the desktop, never pushed');
    const pulled = await pull(client, desktop, { delete: true });
    expect(pulled.removed).toEqual(['old.md']);
    expect(pulled.kept).toEqual([{ path: 'draft.md', reason: expect.stringMatching(/never pushed from this folder/) }]);
    expect(read(desktop, 'draft.md')).toBe('written on the desktop, never pushed');
    expect(readdirSync(desktop).sort()).toEqual(['added.md', 'draft.md', 'keep.md']);

    expect((await push(client, laptop, { delete: true, overwrite: true })).remove).toEqual(['added.md']);
    expect((await pull(client, desktop, { delete: true, overwrite: true })).removed.sort()).toEqual(['added.md', 'draft.md']);
    expect(readdirSync(desktop)).toEqual(['keep.md']);
  });

  it('a folder never synced keeps what differs until --overwrite, and the command says so with exit status 1', async () => {
    const { client, dir } = await backedUp('never-synced', { 'a.md': 'the backup' });
    write(dir, 'a.md', 'older work, never pushed');

    const cli = join(__dirname, '../../../client/cli/main.ts');
    const tsx = join(__dirname, '../../../node_modules/.bin/tsx');
    const cliEnv = { ...process.env, SATCHEL_URL: env.api.url, SATCHEL_API_KEY: client.key };
    const failed = await promisify(execFile)(tsx, [cli, 'sync', 'pull', dir], { env: cliEnv }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(
      /kept +"a\.md": differs from the backup, and this folder never synced it: keep the version you want .*pull with --overwrite to take the backup's/,
    );
    expect(read(dir, 'a.md')).toBe('older work, never pushed');
    await promisify(execFile)(tsx, [cli, 'sync', 'pull', dir, '--overwrite'], { env: cliEnv });
    expect(read(dir, 'a.md')).toBe('the backup');
  });
});
