import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  return createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 1 });
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
