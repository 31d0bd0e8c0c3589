import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createSatchelClient, SatchelError } from '../../../client/sdk';
import { startTestApi, type TestApi } from '../../support/api';
import { SEED_DOCUMENTS, SEED_QUERY } from '../../fixtures/seed-documents';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-sdk-'));

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

it('the SDK reaches every items endpoint and surfaces the error codes', async () => {
  const { key } = await api.key({ surfaces: ['items'] });
  const satchel = createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 0 });
  const scope = { scope: 'session' as const, scopeId: 'session-9' };
  expect(await satchel.addItem({ ...scope, itemPath: '/docs/authentication.md', content: SEED_DOCUMENTS[0].content })).toMatchObject({
    success: true,
    status: 'ready',
  });
  for (let i = 0; i < 3; i++) await satchel.addItem({ ...scope, itemPath: `/notes/${i}.txt`, content: `note ${i}` });
  expect((await satchel.listItems({ ...scope, prefix: '/notes/' })).items).toHaveLength(3);
  expect((await satchel.listItems({ ...scope, limit: 2 })).nextCursor).toBeDefined();
  expect((await satchel.listAllItems(scope)).map((i) => i.path)).toEqual([
    '/docs/authentication.md',
    '/notes/0.txt',
    '/notes/1.txt',
    '/notes/2.txt',
  ]);
  expect((await satchel.getItem({ ...scope, itemPath: '/notes/1.txt' })).content).toBe('note 1');
  expect(await satchel.itemStatus({ ...scope, itemPath: '/notes/1.txt' })).toMatchObject({ status: 'ready', size: 6 });
  expect(
    await satchel.moveItem({
      fromScope: 'session',
      fromScopeId: 'session-9',
      fromPath: '/notes/1.txt',
      toScope: 'company',
      toPath: '/kept.txt',
    }),
  ).toMatchObject({ success: true, path: '/kept.txt' });
  expect((await satchel.searchItems({ ...scope, query: SEED_QUERY })).results[0].path).toBe('/docs/authentication.md');
  expect(await satchel.deleteItem({ scope: 'company', itemPath: '/kept.txt' })).toEqual({ success: true, message: 'Item deleted' });
  const error = await satchel.getItem({ scope: 'company', itemPath: '/kept.txt' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SatchelError);
  expect(error).toMatchObject({ status: 404, code: 'ITEM_NOT_FOUND' });
  await expect(satchel.addItem({ ...scope, itemPath: '/notes/0.txt', content: 'x' })).rejects.toMatchObject({ code: 'ITEM_EXISTS' });
});

it('the CLI adds a file and from stdin, lists, gets, moves, searches and removes', async () => {
  const { key } = await api.key({ surfaces: ['items'] });
  const dir = mkdtempSync(join(tmpdir(), 'satchel-cli-'));
  const file = join(dir, 'authentication.md');
  writeFileSync(file, SEED_DOCUMENTS[0].content);
  const env = { ...process.env, SATCHEL_URL: api.url, SATCHEL_API_KEY: key };
  // asynchronous: the API answering the CLI runs in this process
  const satchel = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['client/cli/bin.cjs', 'items', ...args], { env: { ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`satchel ${args.join(' ')} failed: ${stderr}`))));
      child.stdin.end(input ?? '');
    });
  expect(JSON.parse(await satchel(['add', '/docs/authentication.md', file, '-s', 'company']))).toMatchObject({ success: true });
  expect(JSON.parse(await satchel(['add', '/notes/stdin.txt', '-s', 'company', '-t', 'text/plain'], 'from stdin'))).toMatchObject({
    success: true,
  });
  expect(await satchel(['list', '-s', 'company'])).toMatch(/\/docs\/authentication\.md[\s\S]*\/notes\/stdin\.txt/);
  expect(await satchel(['get', '/notes/stdin.txt', '-s', 'company', '--raw'])).toBe('from stdin');
  await satchel(['mv', '/notes/stdin.txt', '/notes/moved.txt', '-s', 'company']);
  expect(JSON.parse(await satchel(['search', SEED_QUERY, '-s', 'company'])).results[0].path).toBe('/docs/authentication.md');
  expect(JSON.parse(await satchel(['rm', '/notes/moved.txt', '-s', 'company']))).toMatchObject({ success: true });
  expect(await satchel(['list', '-s', 'company'])).not.toMatch(/moved/);
});
