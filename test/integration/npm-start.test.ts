import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/dynamodb-local';
import { runSatchel } from '../support/cli';

const root = join(__dirname, '..', '..');

/** `npm start` as the README runs it (tsx local/main.ts), in a fresh SATCHEL_HOME on a free port. */
describe('npm start', () => {
  let home: string;
  let state: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'satchel-start-'));
    state = mkdtempSync(join(tmpdir(), 'satchel-xdg-'));
  });

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });

  /** Starts `npm start`; resolves once it printed its banner (or exited). */
  async function start(port: number) {
    // the runtime sets its own Powertools switches; none may leak in from the test environment
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('POWERTOOLS_')));
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'local', 'main.ts')], {
      cwd: root,
      env: { ...env, SATCHEL_HOME: home, PORT: String(port), SATCHEL_API_KEY: '', XDG_STATE_HOME: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const run = { child, output: '', exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
    child.stdout?.on('data', (d) => (run.output += d));
    child.stderr?.on('data', (d) => (run.output += d));
    const deadline = Date.now() + 90000;
    while (!/Satchel is running/.test(run.output) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 200));
    return run;
  }

  it('serves the API, refuses a second runtime on its state folder, keeps its key and its data across restarts, and stops on Ctrl-C', async () => {
    const port = await freePort();
    const first = await start(port);
    expect(first.output).toMatch(new RegExp(`Satchel is running at http://127\\.0\\.0\\.1:${port}`));
    const key = /API key:\s+(sk-[\w-]+)/.exec(first.output)?.[1];
    expect(key).toBeDefined();
    const res = await fetch(`http://127.0.0.1:${port}/api/workspaces`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ workspaces: [] });
    expect((await fetch(`http://127.0.0.1:${port}/api/workspaces`)).status).toBe(401);
    const runtimeJson = readFileSync(join(home, 'runtime.json'), 'utf8');
    const { dynamoEndpoint } = JSON.parse(runtimeJson) as { dynamoEndpoint: string };
    // the key is kept in the state folder, readable by the user only
    expect(statSync(join(home, 'local-api-key')).mode & 0o777).toBe(0o600);

    // state written before the restart: a workspace (DynamoDB), an item (S3 bytes + search index)
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/api/workspaces`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ root_dir: '/home/me/kept' }),
    });
    expect(created.status).toBe(201);
    const note = 'Rotate the signing keys every ninety days and revoke the old ones at once.';
    const item = { scope: 'company', itemPath: '/ops/keys.md', content: note };
    expect((await fetch(`${base}/api/workspace/items`, { method: 'POST', headers: auth, body: JSON.stringify(item) })).status).toBe(201);

    // a second start on the same folder: refused at once, naming the first; the first untouched
    const second = await start(await freePort());
    expect(await second.exited).not.toBe(0);
    expect(second.output).toContain(`Satchel already runs on the state folder ${home}: pid ${first.child.pid}, http://127.0.0.1:${port}`);
    expect(second.output).not.toMatch(/starting DynamoDB Local/);
    expect(readFileSync(join(home, 'runtime.json'), 'utf8')).toBe(runtimeJson);
    expect((await fetch(`http://127.0.0.1:${port}/api/workspaces`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    // the installed CLI finds it from another folder, through the record in the user's home
    const elsewhere = mkdtempSync(join(tmpdir(), 'satchel-elsewhere-'));
    const listed = await runSatchel(['keys', 'list', '--tenant', 'local'], {
      cwd: elsewhere,
      env: { SATCHEL_DYNAMODB_ENDPOINT: undefined, SATCHEL_HOME: undefined, SATCHEL_URL: undefined, XDG_STATE_HOME: state },
    });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/^KEY ID\s+TENANT[\s\S]*\blocal\b/);
    expect(readdirSync(elsewhere)).toEqual([]);
    rmSync(elsewhere, { recursive: true });

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output).not.toMatch(/"_aws"/);
    await expect(fetch(dynamoEndpoint, { method: 'POST' })).rejects.toThrow();
    expect(existsSync(join(home, 'runtime.json'))).toBe(false);
    expect(readdirSync(join(state, 'satchel', 'runtimes'))).toEqual([]);

    // a restart prints the same key, and it still works
    const restarted = await start(port);
    expect(/API key:\s+(sk-[\w-]+)/.exec(restarted.output)?.[1]).toBe(key);
    expect(restarted.output).not.toMatch(/new key/);
    const workspaces = await fetch(`${base}/api/workspaces`, { headers: auth });
    expect(workspaces.status).toBe(200);
    expect(((await workspaces.json()) as { workspaces: { root_dir: string }[] }).workspaces.map((w) => w.root_dir)).toEqual([
      '/home/me/kept',
    ]);
    const got = await fetch(`${base}/api/workspace/items/get?scope=company&itemPath=/ops/keys.md`, { headers: auth });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ path: '/ops/keys.md', content: note, encoding: 'utf8' });
    const search = await fetch(`${base}/api/workspace/search`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ scope: 'company', query: 'how often are signing keys rotated?', minScore: 0 }),
    });
    expect(((await search.json()) as { results: { path: string }[] }).results.map((r) => r.path)).toEqual(['/ops/keys.md']);
    restarted.child.kill('SIGINT');
    expect(await restarted.exited).toBe(0);
  }, 240_000);
});
