import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSatchelClient } from '../../../client/sdk';
import { pull, push, status } from '../../../client/cli/sync/engine';
import { startTestApi, type TestApi } from '../../support/api';
import { write } from '../../support/sync-folders';

/**
 * Local names the sync CLI meets (docs/sync.md, Paths and CLI): names that are not NFC are sent
 * NFC-normalised and matched to the backup by that form; symlinks are skipped by push and never
 * written through by pull.
 */
let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-sync-names-'));
  process.env.XDG_CACHE_HOME = join(work, 'cache');
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

/** Names on disk under root (as stored: NFD stays NFD), folders with a trailing /. */
function names(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        out.push(`${prefix}${e.name}/`);
        walk(join(dir, e.name), `${prefix}${e.name}/`);
      } else out.push(prefix + e.name);
    }
  };
  walk(root, '');
  return out.sort();
}

async function agentClient(agent: string) {
  const { key } = await api.key({ agent, surfaces: ['sync'] });
  return createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 1 });
}

const NFD_FILE = 'cafe\u0301.txt'; // "café.txt" with a combining accent, as macOS file systems hand it out
const NFD_FOLDER = 'Re\u0301sume\u0301';
const NFC_FILE = NFD_FILE.normalize('NFC');
const NFC_FOLDER = NFD_FOLDER.normalize('NFC');

describe('names that are not NFC', () => {
  it('are backed up under their NFC form, and a folder holding them is in step with the backup', async () => {
    const client = await agentClient('nfd');
    const source = join(work, 'nfd-source');
    write(source, NFD_FILE, 'latte');
    write(source, `${NFD_FOLDER}/notes.md`, '# notes');
    expect(names(source)).toEqual([`${NFD_FOLDER}/`, `${NFD_FOLDER}/notes.md`, NFD_FILE].sort());

    expect((await push(client, source)).upload.map((f) => f.path).sort()).toEqual([`${NFC_FOLDER}/notes.md`, NFC_FILE].sort());
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual([`${NFC_FOLDER}/notes.md`, NFC_FILE].sort());
    // nothing moves either way: the local NFD names are the backup's NFC paths
    expect((await push(client, source)).upload).toEqual([]);
    expect(await status(client, source)).toMatchObject({ upload: [], download: [], remove: [] });
    const back = await pull(client, source, { delete: true });
    expect(back).toMatchObject({ downloaded: 0, unchanged: 2, removed: [], refused: [] });
    expect(names(source)).toEqual([`${NFD_FOLDER}/`, `${NFD_FOLDER}/notes.md`, NFD_FILE].sort());

    // a restore elsewhere writes the NFC names
    const elsewhere = join(work, 'nfd-restored');
    await pull(client, elsewhere);
    expect(names(elsewhere)).toEqual([`${NFC_FOLDER}/`, `${NFC_FOLDER}/notes.md`, NFC_FILE].sort());
  });

  it('a newer backup of a file updates it under its local name, and a new file joins its local folder, not beside them', async () => {
    const client = await agentClient('nfd-update');
    const laptop = join(work, 'nfd-laptop');
    write(laptop, NFD_FILE, 'old');
    write(laptop, `${NFD_FOLDER}/notes.md`, '# notes');
    await push(client, laptop);
    // another machine (NFC names) changes the file and adds one to the folder
    const desktop = join(work, 'nfd-desktop');
    await pull(client, desktop);
    writeFileSync(join(desktop, NFC_FILE), 'new from the desktop');
    write(desktop, `${NFC_FOLDER}/added.md`, 'added on the desktop');
    await push(client, desktop);

    expect((await status(client, laptop)).download.sort()).toEqual([`${NFC_FOLDER}/added.md`, NFC_FILE].sort());
    expect(await pull(client, laptop)).toMatchObject({ downloaded: 2, refused: [] });
    expect(names(laptop)).toEqual([`${NFD_FOLDER}/`, `${NFD_FOLDER}/added.md`, `${NFD_FOLDER}/notes.md`, NFD_FILE].sort());
    expect(readFileSync(join(laptop, NFD_FILE), 'utf8')).toBe('new from the desktop');
    expect(readFileSync(join(laptop, NFD_FOLDER, 'added.md'), 'utf8')).toBe('added on the desktop');
    expect((await push(client, laptop)).upload).toEqual([]);
  });

  it('two local names with the same NFC form are both left out with a warning, not uploaded over each other', async () => {
    const client = await agentClient('nfd-twins');
    const source = join(work, 'nfd-twins');
    write(source, NFD_FILE, 'decomposed');
    write(source, NFC_FILE, 'composed');
    write(source, 'plain.txt', 'plain');
    const warnings: string[] = [];
    const result = await push(client, source, { warn: (message) => warnings.push(message) });
    expect(result.upload.map((f) => f.path)).toEqual(['plain.txt']);
    expect(result.skipped.map((s) => s.path)).toEqual([NFC_FILE, NFC_FILE]);
    expect(warnings.join('\n')).toMatch(/same name/);
    expect(Object.keys((await client.syncGetManifest()).files)).toEqual(['plain.txt']);
  });
});

describe('symlinks', () => {
  it('push skips symlinks to files and folders, inside or outside, and dangling ones', async () => {
    const client = await agentClient('links-push');
    const outside = join(work, 'links-outside');
    write(outside, 'secret.txt', 'never uploaded');
    const source = join(work, 'links-source');
    write(source, 'real.txt', 'real');
    write(source, 'docs/guide.md', 'guide');
    symlinkSync(join(outside, 'secret.txt'), join(source, 'secret-link.txt'));
    symlinkSync(outside, join(source, 'outside-dir'));
    symlinkSync(join(source, 'docs'), join(source, 'docs-again'));
    symlinkSync(join(source, 'real.txt'), join(source, 'real-again.txt'));
    symlinkSync(join(work, 'nothing-here'), join(source, 'dangling.txt'));

    const result = await push(client, source);
    expect(result.upload.map((f) => f.path).sort()).toEqual(['docs/guide.md', 'real.txt']);
    expect(Object.keys((await client.syncGetManifest()).files).sort()).toEqual(['docs/guide.md', 'real.txt']);
    expect(await status(client, source)).toMatchObject({ upload: [], download: [] });
  });

  it('pull replaces a symlink at a backup path with the file, never writing through it; --delete leaves other symlinks alone', async () => {
    const client = await agentClient('links-pull');
    const source = join(work, 'links-pull-source');
    write(source, 'notes.md', 'from the backup');
    await push(client, source);

    const outside = join(work, 'links-pull-outside');
    write(outside, 'victim.txt', 'must stay');
    const target = join(work, 'links-pull-target');
    mkdirSync(target);
    symlinkSync(join(outside, 'victim.txt'), join(target, 'notes.md'));
    symlinkSync(join(outside, 'victim.txt'), join(target, 'mine.txt'));

    expect(await pull(client, target, { delete: true, force: true })).toMatchObject({ downloaded: 1, refused: [], removed: [] });
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('must stay');
    expect(lstatSync(join(target, 'notes.md')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(target, 'notes.md'), 'utf8')).toBe('from the backup');
    expect(lstatSync(join(target, 'mine.txt')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(outside, 'notes.md'))).toBe(false);
  });
});
