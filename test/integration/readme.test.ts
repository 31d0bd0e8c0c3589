import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../local/dynamodb-local';
import { SEED_DOCUMENTS } from '../fixtures/seed-documents';
import { ROOT } from '../support/cli';

/**
 * README.md as a newcomer follows it: `npm start` on a fresh state folder, the CLI installed the way
 * the README says, then every `satchel …` and `curl …` of "Quick start" and "What agents get", in order,
 * with the placeholders filled. Each must succeed.
 */
const run = promisify(execFile);
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The text of a `## ` section. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** `satchel …`/`curl …` lines of the section's sh blocks (continuations joined) and `satchel …` spans of its prose, in order. */
function examples(text: string): string[] {
  const found: { at: number; command: string }[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1].replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of lines) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (/^(satchel|curl) /.test(command)) found.push({ at: block.index!, command });
    }
  }
  const prose = text.replace(/```[\s\S]*?```/g, (block) => ' '.repeat(block.length));
  for (const span of prose.matchAll(/`(satchel [^`]+)`/g)) found.push({ at: span.index!, command: span[1].replace(/\s+/g, ' ') });
  return found.sort((a, b) => a.at - b.at).map((f) => f.command);
}

describe('README.md', () => {
  let work: string;
  let server: ChildProcess | undefined;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'satchel-readme-'));
  });
  afterAll(async () => {
    // Ctrl-C, so npm start stops its DynamoDB Local too
    if (server?.exitCode === null) {
      const gone = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGINT');
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 20000))]);
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('quick start and "What agents get" run as written against a fresh local runtime', async () => {
    const quickStart = section('Quick start');
    const commands = [...examples(quickStart), ...examples(section('What agents get'))];
    // the extraction itself must not silently find nothing
    expect(commands).toEqual(
      expect.arrayContaining([
        'curl $SATCHEL_URL/health',
        'satchel items add /docs/doc.md ./doc.md -s company',
        'satchel files download <fileId>',
      ]),
    );
    expect(commands.length).toBeGreaterThanOrEqual(15);

    // npm start, on a free port and a fresh state folder
    const port = await freePort();
    const state = join(work, 'xdg');
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(POWERTOOLS_|SATCHEL_)/.test(name)));
    server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'main.ts')], {
      cwd: ROOT,
      env: { ...env, SATCHEL_HOME: join(work, 'home'), PORT: String(port), XDG_STATE_HOME: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    let banner = '';
    server.stdout?.on('data', (d) => (banner += d));
    server.stderr?.on('data', (d) => (banner += d));
    const deadline = Date.now() + 90000;
    while (!/API key:\s+sk-/.test(banner) && Date.now() < deadline && server.exitCode === null)
      await new Promise((r) => setTimeout(r, 200));
    const url = /Satchel is running at (\S+)/.exec(banner)?.[1];
    const key = /API key:\s+(sk-[\w-]+)/.exec(banner)?.[1];
    expect(url).toBe(`http://127.0.0.1:${port}`);

    // the install line of the quick start, into a private prefix
    const install = /^npm install -g \.(?=\s|$)/m.exec(quickStart)?.[0];
    expect(install).toBeDefined();
    const prefix = join(work, 'prefix');
    await run('bash', ['-c', install!], { cwd: ROOT, env: { ...process.env, npm_config_prefix: prefix } });

    // what the examples work on: a workspace, a document, operations, a CSV
    const cwd = join(work, 'user');
    mkdirSync(join(cwd, 'workspace', 'sessions'), { recursive: true });
    writeFileSync(join(cwd, 'workspace', 'MEMORY.md'), 'remember the milk\n');
    writeFileSync(join(cwd, 'workspace', 'sessions', 's1.jsonl'), '{"role":"user"}\n');
    writeFileSync(join(cwd, 'doc.md'), SEED_DOCUMENTS[0].content);
    writeFileSync(
      join(cwd, 'ops.json'),
      JSON.stringify([
        { table: 'notes', record_id: 'n1', operation: 'upsert', data: { text: 'hi' }, local_updated_at: new Date().toISOString() },
      ]),
    );
    writeFileSync(join(cwd, 'data.csv'), 'a,b\n1,2\n');
    const agent = /export SATCHEL_AGENT=(\S+)/.exec(quickStart)?.[1];
    expect(agent).toBeDefined();
    const shellEnv = {
      ...env,
      PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
      SATCHEL_URL: url,
      SATCHEL_API_KEY: key,
      SATCHEL_AGENT: agent,
      XDG_STATE_HOME: state,
      XDG_CACHE_HOME: join(work, 'cache'),
    };

    const filled: Record<string, string> = {};
    for (const example of commands) {
      const command = example.replace(/<(dep|fileId)>/g, (_, name: string) => filled[name] ?? `<${name}>`);
      const result: { code?: number; stdout: string; stderr: string } = await run('bash', ['-c', command], { cwd, env: shellEnv }).catch(
        (error) => error,
      );
      // the stderr is shown only when the command failed
      expect({ command, code: result.code ?? 0, stderr: result.code ? result.stderr : '' }).toEqual({ command, code: 0, stderr: '' });
      if (command.startsWith('curl')) expect([command, result.stdout]).not.toEqual([command, expect.stringMatching(/"error"|"message"/)]);
      if (command.startsWith('satchel deployments create')) {
        filled.dep = /^(\S+)/.exec(result.stdout)![1];
        // what the agent in the sandbox produced, for `files pull`
        const desktop = /Desktop: (.+)/.exec(result.stdout)![1].trim();
        writeFileSync(join(desktop, 'result.csv'), 'x\n1\n');
      }
      if (command.startsWith('satchel files upload')) filled.fileId = /^(\S+)/.exec(result.stdout)![1];
    }
    expect(readFileSync(join(cwd, 'data.csv'), 'utf8')).toBe('a,b\n1,2\n');
    // Ctrl-C and wait: a SIGKILL in afterAll would leave its DynamoDB Local running
    server.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 300_000);
});
