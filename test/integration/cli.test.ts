import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../client/cli/program';
import type { Progress } from '../../client/cli/progress';
import { pull, push } from '../../client/cli/sync/engine';
import { createSatchelClient } from '../../client/sdk';
import { version } from '../../package.json';
import { startTestApi, type TestApi } from '../support/api';
import { runSatchel, STACK_LINE } from '../support/cli';

/** The `satchel` binary as a newcomer meets it: exit codes, one-line errors in CLI terms, cp-like destinations. */
let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-cli-'));
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

async function tenantEnv(surfaces: ('sync' | 'memory' | 'items' | 'files' | 'registry')[], agent?: string) {
  const { key } = await api.key({ surfaces, agent });
  return { SATCHEL_URL: api.url, SATCHEL_API_KEY: key, SATCHEL_AGENT: '' };
}

/** A failure as the CLI must report it: non-zero, one line on stderr, no stack trace. */
function expectOneLineFailure(result: { code: number | null; stderr: string }, message: RegExp) {
  expect(result.code).not.toBe(0);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.stderr.trim().split('\n').at(-1)).toMatch(message);
}

describe('satchel, small things', () => {
  it('--version prints the package version', async () => {
    const result = await runSatchel(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('every --help fits in 80 columns', () => {
    const pending = [buildProgram()];
    let seen = 0;
    while (pending.length) {
      const command = pending.pop()!;
      const lines = command.helpInformation({ error: false }).split('\n');
      for (const line of lines) expect([command.name(), line.length <= 80 ? 'fits' : line]).toEqual([command.name(), 'fits']);
      pending.push(...command.commands);
      seen++;
    }
    expect(seen).toBeGreaterThan(20);
  });

  it('a URL without a scheme is met with "add http://"', async () => {
    const result = await runSatchel(['deployments', 'list'], { env: { SATCHEL_URL: '127.0.0.1:3000', SATCHEL_API_KEY: 'sk-x' } });
    expectOneLineFailure(result, /^satchel: SATCHEL_URL "127\.0\.0\.1:3000" has no scheme: add http:\/\/.*http:\/\/127\.0\.0\.1:3000$/);
    const flag = await runSatchel(['deployments', 'list', '--url', 'localhost:3000']);
    expectOneLineFailure(flag, /^satchel: --url "localhost:3000" has no scheme: add http:\/\//);
  });
});

describe('satchel files and deployments', () => {
  let env: Record<string, string>;
  let deployment: string;
  beforeAll(async () => {
    env = await tenantEnv(['files']);
    const created = await runSatchel(['deployments', 'create', 'newcomer'], { env });
    expect(created.code).toBe(0);
    deployment = /^(\S+)/.exec(created.stdout)![1];
  });

  it('server validation messages name the option, not the wire field', async () => {
    const result = await runSatchel(['deployments', 'create', 'long', '--duration', '99999'], { env });
    expectOneLineFailure(result, /^satchel: --duration: /);
    expect(result.stderr).not.toMatch(/body\.|durationMinutes/);
  });

  it('uploading a folder is one clear line, not a stack trace', async () => {
    const folder = join(work, 'somefolder');
    mkdirSync(folder, { recursive: true });
    expectOneLineFailure(await runSatchel(['files', 'upload', deployment, folder], { env }), /^satchel: .*somefolder is a folder/);
    expectOneLineFailure(
      await runSatchel(['files', 'upload', deployment, join(work, 'missing.csv')], { env }),
      /^satchel: no such file or folder: .*missing\.csv$/,
    );
  });

  it('downloads into an existing folder as cp does, and to a named file', async () => {
    const file = join(work, 'data.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    const uploaded = await runSatchel(['files', 'upload', deployment, file], { env });
    expect(uploaded.code).toBe(0);
    expect(uploaded.stderr).toMatch(/^upload data\.csv \(8 B\)\nupload: 1 file, 8 B in /); // not a TTY: plain lines and a summary
    const fileId = /^(\S+)/.exec(uploaded.stdout)![1];

    const folder = join(work, 'dl');
    mkdirSync(folder);
    const into = await runSatchel(['files', 'download', fileId, `${folder}/`], { env });
    expect(into.code).toBe(0);
    expect(readFileSync(join(folder, 'data.csv'), 'utf8')).toBe('a,b\n1,2\n');
    const bare = await runSatchel(['files', 'download', fileId, folder], { env });
    expect(bare.code).toBe(0);
    expect(bare.stdout.trim()).toBe(join(folder, 'data.csv'));
    const named = await runSatchel(['files', 'download', fileId, join(folder, 'copy.csv')], { env });
    expect(named.code).toBe(0);
    expect(readFileSync(join(folder, 'copy.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expectOneLineFailure(
      await runSatchel(['files', 'download', fileId, `${join(work, 'nowhere')}/`], { env }),
      /^satchel: no folder .*nowhere\/: create it first/,
    );
  });

  it('a sync with a failed file exits non-zero with a one-line summary', async () => {
    const result = await runSatchel(['files', 'sync', deployment, 'data.csv', 'absent.csv'], { env });
    expectOneLineFailure(result, /^satchel: 1 of 2 files could not be copied to the Desktop: .*absent\.csv$/);
    expect(result.stdout).toMatch(/synced {2}data\.csv/);
  });
});

describe('one agent option: --agent <id> or SATCHEL_AGENT, and messages in CLI terms', () => {
  const ASK_FOR_AGENT = /^satchel: this API key acts for a whole tenant: name the agent with --agent <id> \(or set SATCHEL_AGENT\)$/;
  const WIRE_TERMS = /x-satchel-agent|agentId|agent_id|scopeId|header|query parameter/;

  it('sync, memory and items ask for --agent with a tenant-wide key, and accept it or SATCHEL_AGENT', async () => {
    const env = await tenantEnv(['sync', 'memory', 'items']);
    const dir = join(work, 'ws');
    mkdirSync(dir, { recursive: true });
    for (const args of [
      ['sync', 'status', dir],
      ['memory', 'status'],
      ['items', 'list'],
    ]) {
      const refused = await runSatchel(args, { env });
      expectOneLineFailure(refused, ASK_FOR_AGENT);
      expect(refused.stderr).not.toMatch(WIRE_TERMS);
      const flagged = await runSatchel([...args, '--agent', 'coder'], { env });
      expect([args.join(' '), flagged.code, flagged.stderr]).toEqual([args.join(' '), 0, '']);
      const viaEnv = await runSatchel(args, { env: { ...env, SATCHEL_AGENT: 'coder' } });
      expect([args.join(' '), viaEnv.code]).toEqual([args.join(' '), 0]);
    }
  });

  it('items of the agent scope: add with --agent, list with a header, move to another agent', async () => {
    const env = { ...(await tenantEnv(['items'])), SATCHEL_AGENT: 'coder' };
    const doc = join(work, 'doc.md');
    writeFileSync(doc, '# Notes\n');
    expect((await runSatchel(['items', 'add', '/docs/doc.md', doc], { env })).code).toBe(0);
    const listed = await runSatchel(['items', 'list'], { env });
    expect(listed.stdout).toMatch(/^SIZE\s+EXPIRES\s+PATH\n\s*8 B\s+\d{4}-\S+\s+\/docs\/doc\.md\n$/);
    expect((await runSatchel(['items', 'list', '--agent', 'other'], { env })).stdout).toBe('No items in the agent scope.\n');
    expect((await runSatchel(['items', 'mv', '/docs/doc.md', '/docs/doc.md', '--to-agent', 'other'], { env })).code).toBe(0);
    expect((await runSatchel(['items', 'list', '--agent', 'other'], { env })).stdout).toMatch(/\/docs\/doc\.md/);
    const session = await runSatchel(['items', 'list', '--scope', 'session'], { env });
    expectOneLineFailure(session, /^satchel: the session scope needs a session: name it with --session <id>$/);
    expect((await runSatchel(['items', 'list', '--session', 's1'], { env })).stdout).toBe('No items in the session scope.\n');
    expectOneLineFailure(
      await runSatchel(['items', 'add', '/x.md', doc, '--metadata', '{oops'], { env }),
      /^satchel: --metadata must be a JSON object/,
    );
  });
});

describe('exit codes', () => {
  it('memory push exits non-zero with a one-line summary when an operation failed', async () => {
    const env = { ...(await tenantEnv(['memory'])), SATCHEL_AGENT: 'coder' };
    const operations = [
      { table: 'notes', record_id: 'n1', operation: 'upsert', data: { text: 'kept' }, local_updated_at: '2026-01-01T00:00:00Z' },
      { table: 'bogus', record_id: 'b1', operation: 'upsert', data: {}, local_updated_at: '2026-01-01T00:00:00Z' },
    ];
    const result = await runSatchel(['memory', 'push'], { env, input: JSON.stringify(operations) });
    expectOneLineFailure(result, /^satchel: 1 of 2 operations failed \(bogus\/b1: .*bogus.*\)$/);
    expect(JSON.parse(result.stdout)).toMatchObject({ pushed: 1, failed: 1 });
    const good = await runSatchel(['memory', 'push'], { env, input: JSON.stringify(operations.slice(0, 1)) });
    expect(good.code).toBe(0);
    expectOneLineFailure(await runSatchel(['memory', 'push'], { env, input: '[{' }), /^satchel: stdin is not valid JSON/);
  });
});

describe('satchel keys from any folder', () => {
  const secretOf = (out: string) => /\b(sk-[A-Za-z0-9_-]{43})\b/.exec(out)?.[1];
  let elsewhere: string;
  let state: string;
  let env: Record<string, string | undefined>;
  beforeEach(() => {
    elsewhere = mkdtempSync(join(work, 'elsewhere-'));
    state = mkdtempSync(join(work, 'xdg-state-'));
    // as a user's shell: no test DynamoDB endpoint, no state folder named
    env = { SATCHEL_DYNAMODB_ENDPOINT: undefined, SATCHEL_HOME: undefined, SATCHEL_URL: undefined, XDG_STATE_HOME: state };
  });

  it('finds the running runtime through the record it leaves in the user home, and creates nothing in the current folder', async () => {
    const home = join(work, 'runtime-home');
    mkdirSync(join(state, 'satchel', 'runtimes'), { recursive: true });
    const record = { url: api.url, dynamoEndpoint: process.env.SATCHEL_DYNAMODB_ENDPOINT, s3Endpoint: '', pid: process.pid, home };
    writeFileSync(join(state, 'satchel', 'runtimes', `${process.pid}.json`), JSON.stringify(record));
    const created = await runSatchel(['keys', 'create', '--tenant', 'elsewhere'], { cwd: elsewhere, env });
    expect(created.code).toBe(0);
    const res = await fetch(`${api.url}/api/workspaces`, { headers: { authorization: `Bearer ${secretOf(created.stdout)}` } });
    expect(res.status).toBe(200);
    expect(readdirSync(elsewhere)).toEqual([]);
    // SATCHEL_URL naming another server is not silently taken for this one
    const other = await runSatchel(['keys', 'list'], { cwd: elsewhere, env: { ...env, SATCHEL_URL: 'http://127.0.0.1:1' } });
    expectOneLineFailure(other, /^satchel: No local Satchel runs at SATCHEL_URL http:\/\/127\.0\.0\.1:1; running: /);
  });

  it('says how to point it when no runtime runs, without starting anything or creating .satchel/', async () => {
    const result = await runSatchel(['keys', 'list'], { cwd: elsewhere, env });
    expectOneLineFailure(result, /^satchel: Satchel is not running here: start it with `npm start` .*SATCHEL_HOME=/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('revoking a key twice says it already was', async () => {
    const created = await runSatchel(['keys', 'create', '--tenant', 'twice']);
    const keyId = /key id:\s+(key_\w+)/.exec(created.stdout)![1];
    expect((await runSatchel(['keys', 'revoke', keyId])).stdout).toMatch(
      /^Revoked key_\w+; it stops working within 2 seconds \(the local gateway's authorizer cache\)\.\n$/,
    );
    const again = await runSatchel(['keys', 'revoke', keyId]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^key_\w+ was already revoked at \d{4}-\d\d-\d\dT[\d:.]+Z; nothing changed\.\n$/);
  });
});

describe('progress of real transfers', () => {
  /** A Progress that records what it was told. */
  function recorder() {
    const events: [string, string | number, number?][] = [];
    const progress: Progress = {
      add: (files, bytes) => void events.push(['add', files, bytes]),
      scanned: () => void events.push(['scanned', 0]),
      advance: (path, bytes) => void events.push(['advance', path, bytes]),
      done: (path, bytes) => void events.push(['done', path, bytes]),
      stop: () => void events.push(['stop', 0]),
    };
    return { events, progress };
  }

  it('sync push and pull count the bytes of a large file as they stream, with the totals fixed first', async () => {
    const { key } = await api.key({ surfaces: ['sync'], agent: 'streamer' });
    const client = createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 1 });
    const dir = join(work, 'stream-src');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'big.bin'), randomBytes(6 * 1024 * 1024));
    for (const [name, run] of [
      ['push', async (progress: Progress) => push(client, dir, { progress })],
      ['pull', async (progress: Progress) => pull(client, join(work, 'stream-dst'), { progress })],
    ] as const) {
      const { events, progress } = recorder();
      await run(progress);
      const kinds = events.map((e) => e[0]);
      // the totals are final before the first byte moves
      expect([name, kinds.lastIndexOf('add') < kinds.indexOf('scanned'), kinds.indexOf('scanned') < kinds.indexOf('advance')]).toEqual([
        name,
        true,
        true,
      ]);
      const streamed = events.filter((e) => e[0] === 'advance' && e[1] === 'big.bin');
      expect([name, streamed.length > 4]).toEqual([name, true]); // several chunks before the file is done
      expect(streamed.reduce((n, e) => n + (e[2] ?? 0), 0)).toBe(6 * 1024 * 1024);
      expect(kinds.slice(-2)).toEqual(['done', 'stop']);
    }
  });

  it('Ctrl-C during a push says how to resume, and the re-run sends only what is missing', async () => {
    const env = { ...(await tenantEnv(['sync'])), SATCHEL_AGENT: 'interrupted', XDG_CACHE_HOME: join(work, 'cache') };
    const dir = join(work, 'interrupt');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 80; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}.bin`), randomBytes(64 * 1024));
    let sent = false;
    const first = await runSatchel(['sync', 'push', dir, '--concurrency', '1'], {
      env,
      // with one transfer at a time, f00-f04 are uploaded and recorded once f05 is reported
      onStderr: (text, child) => {
        if (!sent && /^upload f05\.bin/m.test(text)) sent = child.kill('SIGINT');
      },
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(
      new RegExp(
        `upload interrupted \\(\\d+ of 80 files done\\): run \`satchel sync push ${dir}\` again: finished uploads are not sent again\\n$`,
      ),
    );
    const again = await runSatchel(['sync', 'push', dir], { env });
    expect(again.code).toBe(0);
    const pushed = Number(/^pushed (\d+) files?/m.exec(again.stdout)?.[1]);
    expect(pushed).toBeGreaterThan(0);
    expect(pushed).toBeLessThanOrEqual(80 - 5);
  });

  it('a push with nothing to do prints no progress at all', async () => {
    const env = { ...(await tenantEnv(['sync'])), SATCHEL_AGENT: 'noop' };
    const dir = join(work, 'noop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.txt'), 'a');
    // the duration (and a rate once it is 1 s or more) depends on the machine's speed
    expect((await runSatchel(['sync', 'push', dir], { env })).stderr).toMatch(
      /^upload a\.txt \(1 B\)\nupload: 1 file, 1 B in \d+s( \(\d+ B\/s\))?\n$/,
    );
    const noop = await runSatchel(['sync', 'push', dir], { env });
    expect(noop).toMatchObject({ code: 0, stderr: '' });
    expect(noop.stdout).toBe('pushed 0 files (0 B), 1 unchanged, 0 removed, 0 skipped\n');
  });
});
