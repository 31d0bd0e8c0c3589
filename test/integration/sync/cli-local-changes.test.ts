import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createSatchelClient } from '../../../client/sdk';
import { pull, push } from '../../../client/cli/sync/engine';
import { startTestApi, type TestApi } from '../../support/api';

let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-sync-local-'));
  process.env.XDG_CACHE_HOME = join(work, 'cache');
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

function write(root: string, path: string, bytes: string) {
  const target = join(root, ...path.split('/'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes);
}

const read = (root: string, path: string) => readFileSync(join(root, ...path.split('/')), 'utf8');

async function clientFor(agent: string) {
  const { key } = await api.key({ agent, surfaces: ['sync'] });
  return Object.assign(createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 1 }), { key });
}

describe('a pull meets local things in the way', () => {
  it('a folder where the backup has a file is kept and reported; the rest is restored and --delete removes nothing', async () => {
    const client = await clientFor('folder-in-the-way');
    const source = join(work, 'in-the-way-src');
    write(source, 'report.md', 'the backup');
    write(source, 'notes/a.md', 'a');
    await push(client, source);

    const dir = join(work, 'in-the-way-dst');
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
    const client = await clientFor('file-in-the-way');
    const source = join(work, 'file-in-the-way-src');
    write(source, 'notes/a.md', 'a');
    write(source, 'b.md', 'b');
    await push(client, source);

    const dir = join(work, 'file-in-the-way-dst');
    write(dir, 'notes', 'a file named like the folder');
    const result = await pull(client, dir);
    expect(result.refused).toEqual([]);
    expect(result.kept).toEqual([{ path: 'notes/a.md', reason: expect.stringMatching(/notes is a file, not a folder/) }]);
    expect(read(dir, 'notes')).toBe('a file named like the folder');
    expect(read(dir, 'b.md')).toBe('b');
  });
});

describe('two devices on one backup never undo each other', () => {
  it('a pull keeps a file edited here and not pushed yet; --overwrite replaces it', async () => {
    const client = await clientFor('two-devices-pull');
    const laptop = join(work, 'pull-laptop');
    const desktop = join(work, 'pull-desktop');
    write(laptop, 'plan.md', 'v1');
    write(laptop, 'notes.md', 'n1');
    await push(client, laptop);
    await pull(client, desktop);

    write(laptop, 'plan.md', 'v2 from the laptop');
    write(laptop, 'notes.md', 'n2 from the laptop');
    await push(client, laptop);
    write(desktop, 'plan.md', 'an edit on the desktop, not pushed yet');

    const result = await pull(client, desktop);
    expect(result.kept).toEqual([{ path: 'plan.md', reason: expect.stringMatching(/changed here since this folder last synced/) }]);
    expect(read(desktop, 'plan.md')).toBe('an edit on the desktop, not pushed yet');
    // a file not edited here is a stale copy: replaced
    expect(read(desktop, 'notes.md')).toBe('n2 from the laptop');

    const overwritten = await pull(client, desktop, { overwrite: true });
    expect(overwritten.kept).toEqual([]);
    expect(read(desktop, 'plan.md')).toBe('v2 from the laptop');
  });

  it("a push from a folder that missed another device's change keeps the backup's version; --overwrite replaces it", async () => {
    const client = await clientFor('two-devices-push');
    const laptop = join(work, 'push-laptop');
    const desktop = join(work, 'push-desktop');
    write(laptop, 'plan.md', 'v1');
    write(laptop, 'todo.md', 't1');
    await push(client, laptop);
    await pull(client, desktop);

    write(desktop, 'plan.md', 'v2 from the desktop');
    write(desktop, 'todo.md', 't2 from the desktop');
    await push(client, desktop);

    // the laptop did not pull: its plan.md is the old version, its todo.md a new edit
    write(laptop, 'todo.md', 't2 from the laptop');
    write(laptop, 'new.md', 'new on the laptop');
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

  it('a folder never synced keeps what differs until --overwrite, and the command says so with exit status 1', async () => {
    const client = await clientFor('never-synced');
    const source = join(work, 'never-synced-src');
    write(source, 'a.md', 'the backup');
    await push(client, source);
    const dir = join(work, 'never-synced-dst');
    write(dir, 'a.md', 'older work, never pushed');

    const cli = join(__dirname, '../../../client/cli/main.ts');
    const tsx = join(__dirname, '../../../node_modules/.bin/tsx');
    const env = { ...process.env, SATCHEL_URL: api.url, SATCHEL_API_KEY: client.key };
    const failed = await promisify(execFile)(tsx, [cli, 'sync', 'pull', dir], { env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(
      /kept +"a\.md": differs from the backup, and this folder never synced it: push it first, or pull with --overwrite/,
    );
    expect(read(dir, 'a.md')).toBe('older work, never pushed');
    await promisify(execFile)(tsx, [cli, 'sync', 'pull', dir, '--overwrite'], { env });
    expect(read(dir, 'a.md')).toBe('the backup');
  });
});
