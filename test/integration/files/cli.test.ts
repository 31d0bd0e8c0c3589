import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../../support/api';
import { runSatchel, STACK_LINE, type CliResult } from '../../support/cli';

/**
 * `satchel deployments create|list|stop` and `satchel files list|upload|sync|pull|download` as a user
 * runs them (README, docs/files.md): the installed binary against the local API.
 */
let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-files-cli-'));
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

async function user() {
  const { key } = await api.key({ surfaces: ['files'] });
  const env = { SATCHEL_URL: api.url, SATCHEL_API_KEY: key, SATCHEL_AGENT: '' };
  return {
    run: (args: string[]) => runSatchel(args, { env, cwd: work }),
    ok: async (args: string[]) => {
      const result = await runSatchel(args, { env, cwd: work });
      expect([args.join(' '), result.code, result.stderr.replace(/^(upload|download)\b.*\n/gm, '')]).toEqual([args.join(' '), 0, '']);
      return result.stdout;
    },
  };
}

function expectOneLineFailure(result: CliResult, message: RegExp) {
  expect(result.code).not.toBe(0);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.stderr.trim().split('\n').at(-1)).toMatch(message);
}

/** `<id>  <status> <name>` + Desktop + expires lines, as `deployments create|list|stop` print them. */
const DEPLOYMENT = /^(\S+)\s+(\w+)\s+(.+)\n {2}Desktop: (.+)\n {2}expires: (\S+)$/gm;
const deployments = (stdout: string) =>
  [...stdout.matchAll(DEPLOYMENT)].map(([, id, status, name, desktop]) => ({ id, status, name, desktop }));

it('deployments: create, list newest first, stop; stopping an unknown id says so', async () => {
  const u = await user();
  expect(await u.ok(['deployments', 'list'])).toBe('No deployments yet: `satchel deployments create <name>` makes one.\n');
  const [first] = deployments(await u.ok(['deployments', 'create', 'first', '--duration', '30']));
  const [second] = deployments(await u.ok(['deployments', 'create', 'second']));
  expect(first).toMatchObject({ name: 'first', status: 'running' });
  expect(existsSync(first.desktop)).toBe(true);

  expect(deployments(await u.ok(['deployments', 'list']))).toEqual([second, first]);
  const [stopped] = deployments(await u.ok(['deployments', 'stop', first.id]));
  expect(stopped).toMatchObject({ id: first.id, status: 'stopped' });
  expect(deployments(await u.ok(['deployments', 'list'])).map((d) => [d.name, d.status])).toEqual([
    ['second', 'running'],
    ['first', 'stopped'],
  ]);

  expectOneLineFailure(await u.run(['deployments', 'stop', 'dep_00000000000000000000']), /^satchel: .*not found/i);
  // another user's deployment does not exist for this one
  const stranger = await user();
  expectOneLineFailure(await stranger.run(['deployments', 'stop', second.id]), /^satchel: .*not found/i);
  expect(await stranger.ok(['deployments', 'list'])).toMatch(/^No deployments yet/);
});

it('over the sandbox quota, create fails at once in CLI terms instead of waiting out the Retry-After', async () => {
  // the Retry-After of a full quota is until the first sandbox expires (an hour here): the SDK must
  // not sleep through it (a hang would end this test at its timeout)
  process.env.SATCHEL_MAX_RUNNING_SANDBOXES = '1';
  try {
    const u = await user();
    const [running] = deployments(await u.ok(['deployments', 'create', 'only']));
    expectOneLineFailure(
      await u.run(['deployments', 'create', 'one-too-many']),
      /^satchel: This tenant already has 1 running sandboxes, .*stop one \(satchel deployments stop <id>\) or wait until one expires$/,
    );
    await u.ok(['deployments', 'stop', running.id]);
    expect(deployments(await u.ok(['deployments', 'create', 'after-stop']))[0]).toMatchObject({ name: 'after-stop', status: 'running' });
  } finally {
    delete process.env.SATCHEL_MAX_RUNNING_SANDBOXES;
  }
});

it('files: list, upload, sync to the Desktop, pull results back (a missing one fails the command), download', async () => {
  const u = await user();
  const [dep] = deployments(await u.ok(['deployments', 'create', 'job']));
  expect(await u.ok(['files', 'list', dep.id])).toBe('No files yet.\n');

  writeFileSync(join(work, 'input.csv'), 'a,b\n1,2\n');
  const [inputId] = (await u.ok(['files', 'upload', dep.id, 'input.csv'])).split(/\s+/);
  expect(await u.ok(['files', 'list', dep.id])).toMatch(new RegExp(`^${inputId}\\s+8\\s+deployments/${dep.id}/input\\.csv\\n$`));

  expect(await u.ok(['files', 'sync', dep.id, 'input.csv'])).toMatch(/^synced {2}input\.csv \(8 B\)$/m);
  expect(readFileSync(join(dep.desktop, 'input.csv'), 'utf8')).toBe('a,b\n1,2\n');

  // the sandbox wrote a result; one asked for does not exist
  writeFileSync(join(dep.desktop, 'result.txt'), 'answer');
  const pulled = await u.run(['files', 'pull', dep.id, 'result.txt', 'missing.txt']);
  expectOneLineFailure(pulled, /^satchel: 1 of 2 files could not be pulled from the Desktop: missing\.txt$/);
  const line = new RegExp(`^pulled {2}(\\S+) {2}deployments/${dep.id}/result\\.txt \\(6 B\\)$`, 'm').exec(pulled.stdout);
  expect(line).not.toBeNull();
  const resultId = (line as RegExpExecArray)[1];
  const listed = await u.ok(['files', 'list', dep.id]);
  expect(
    listed
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[2])
      .sort(),
  ).toEqual([`deployments/${dep.id}/input.csv`, `deployments/${dep.id}/result.txt`]);

  const into = join(work, 'result-copy.txt');
  expect(await u.ok(['files', 'download', resultId, into])).toBe(`${into}\n`);
  expect(readFileSync(into, 'utf8')).toBe('answer');

  // a stopped sandbox takes no more files, and says why in one line
  await u.ok(['deployments', 'stop', dep.id]);
  expectOneLineFailure(await u.run(['files', 'sync', dep.id, 'input.csv']), /^satchel: .*stopped/);
  // another user sees none of it
  const stranger = await user();
  expectOneLineFailure(await stranger.run(['files', 'list', dep.id]), /^satchel: .*not found/i);
  expectOneLineFailure(await stranger.run(['files', 'download', resultId, join(work, 'stolen.txt')]), /^satchel: .*not found/i);
  expect(existsSync(join(work, 'stolen.txt'))).toBe(false);
});
