import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/emulators';

const root = join(__dirname, '..', '..');

/** `npm start` as the README runs it (tsx local/main.ts), in a fresh SATCHEL_HOME on a free port. */
describe('npm start', () => {
  let home: string;
  let child: ChildProcess;
  let output = '';

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'satchel-start-'));
  });

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('serves the API with a new key, prints no metrics lines, and stops DynamoDB Local on Ctrl-C', async () => {
    const port = await freePort();
    // the runtime sets its own Powertools switches; none may leak in from the test environment
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('POWERTOOLS_')));
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'local', 'main.ts')], {
      cwd: root,
      env: { ...env, SATCHEL_HOME: home, PORT: String(port), SATCHEL_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 90000;
    while (!/Satchel is running/.test(output) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(output).toMatch(new RegExp(`Satchel is running at http://127\\.0\\.0\\.1:${port}`));
    const key = /API key:\s+(sk-[\w-]+)/.exec(output)?.[1];
    expect(key).toBeDefined();

    const res = await fetch(`http://127.0.0.1:${port}/api/workspaces`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ workspaces: [] });
    expect((await fetch(`http://127.0.0.1:${port}/api/workspaces`)).status).toBe(401);
    const { dynamoEndpoint } = JSON.parse(readFileSync(join(home, 'runtime.json'), 'utf8')) as { dynamoEndpoint: string };

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/"_aws"/);
    await expect(fetch(dynamoEndpoint, { method: 'POST' })).rejects.toThrow();
  });
});
