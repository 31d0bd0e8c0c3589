import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { KeyStore } from '../lambdas/auth/keys';
import { documentClient } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from '../local/bootstrap';
import { freePort, startDynamo, startS3 } from '../local/emulators';
import { startServer } from '../local/server';

/**
 * `npm run bench -- sync`: `satchel sync` against `rclone sync` and `aws s3 sync`, on the local
 * runtime and the same local S3 endpoint, each tool with its default settings. Every S3 request
 * goes through a counting proxy; requests the API's own functions make to S3 (verifying uploads)
 * are counted apart, by their user agent.
 */

interface Counter {
  client: number;
  server: number;
}

/** Forwards to the S3 emulator unchanged (the Host header too: it is signed) and counts. */
async function countingProxy(target: string, counter: Counter): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    if (/aws-sdk-js/.test(req.headers['user-agent'] ?? '')) counter.server++;
    else counter.client++;
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = 65000;
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, server };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e9);
    });
  });
}

const available = (command: string) => !spawnSync(command, ['--version'], { stdio: 'ignore' }).error;

function writeFiles(dir: string, count: number, size: number, prefix = 'f'): void {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${i % 20}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `${prefix}${i}.bin`), randomBytes(size));
  }
}

interface Row {
  scenario: string;
  tool: string;
  seconds: number;
  requests: number;
  serverS3?: number;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'satchel-bench-'));
  const dynamo = await startDynamo();
  const s3 = await startS3({ directory: join(work, 's3'), bucket: LOCAL_BUCKET });
  await ensureTables(dynamo.endpoint);
  const counter: Counter = { client: 0, server: 0 };
  const proxy = await countingProxy(s3.endpoint, counter);
  Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: proxy.url }), { SATCHEL_HOME: join(work, 'home') });
  const api = await startServer();
  let apiRequests = 0;
  api.server.on('request', () => apiRequests++);
  const keys = new KeyStore(documentClient(), config.tableName('apiKeys'));
  const keyFor = async (agent: string) => (await keys.create({ tenant: 'bench', agent, surfaces: ['sync'] })).key;

  // the CLI as it ships: one bundled file run by node (no TypeScript compilation at start-up)
  const cli = join(work, 'satchel.cjs');
  buildSync({ entryPoints: [join(__dirname, '..', 'client', 'cli', 'main.ts')], bundle: true, platform: 'node', target: 'node20', outfile: cli, logLevel: 'error' });

  // the endpoint is plain HTTP; a CA bundle from the environment only makes rclone fail
  const { AWS_CA_BUNDLE: _caBundle, ...baseEnv } = process.env;
  const s3Env = { ...baseEnv, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_DEFAULT_REGION: 'us-east-1' };
  const rcloneEnv = {
    ...baseEnv,
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: proxy.url,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'S3RVER',
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
  };
  const tools: { name: string; ok: boolean; push(src: string, dest: string): Promise<number>; pull(dest: string, dir: string): Promise<number> }[] = [
    {
      name: 'satchel sync',
      ok: true,
      push: async (src, dest) => run('node', [cli, 'sync', 'push', src], { ...process.env, SATCHEL_URL: api.url, SATCHEL_API_KEY: await keyOf(dest) }),
      pull: async (dest, dir) => run('node', [cli, 'sync', 'pull', dir], { ...process.env, SATCHEL_URL: api.url, SATCHEL_API_KEY: await keyOf(dest) }),
    },
    {
      name: 'rclone sync',
      ok: available('rclone'),
      push: (src, dest) => run('rclone', ['sync', src, `bench:${LOCAL_BUCKET}/rclone/${dest}`], rcloneEnv),
      pull: (dest, dir) => run('rclone', ['sync', `bench:${LOCAL_BUCKET}/rclone/${dest}`, dir], rcloneEnv),
    },
    {
      name: 'aws s3 sync',
      ok: available('aws'),
      push: (src, dest) => run('aws', ['--endpoint-url', proxy.url, 's3', 'sync', src, `s3://${LOCAL_BUCKET}/aws/${dest}`, '--only-show-errors'], s3Env),
      pull: (dest, dir) => run('aws', ['--endpoint-url', proxy.url, 's3', 'sync', `s3://${LOCAL_BUCKET}/aws/${dest}`, dir, '--only-show-errors'], s3Env),
    },
  ];
  const agentKeys = new Map<string, string>();
  async function keyOf(dest: string): Promise<string> {
    if (!agentKeys.has(dest)) agentKeys.set(dest, await keyFor(dest));
    return agentKeys.get(dest) as string;
  }
  for (const t of tools.filter((t) => !t.ok)) {
    console.log(`${t.name}: not installed, skipped (Debian: apt-get install ${t.name.split(' ')[0] === 'aws' ? 'awscli' : 'rclone'})`);
  }

  const small = join(work, 'small');
  const large = join(work, 'large');
  writeFiles(small, 2000, 4096);
  writeFiles(large, 20, 8 * 1024 * 1024, 'big');
  const rows: Row[] = [];
  const measure = async (scenario: string, tool: string, fn: () => Promise<number>) => {
    const before = { ...counter, api: apiRequests };
    const seconds = await fn();
    rows.push({ scenario, tool, seconds, requests: counter.client - before.client + (apiRequests - before.api), serverS3: counter.server - before.server });
    console.error(`${scenario} / ${tool}: ${seconds.toFixed(2)} s`);
  };
  for (const t of tools.filter((t) => t.ok)) {
    await measure('push 2,000 × 4 KiB', t.name, () => t.push(small, 'small'));
    await measure('re-push, nothing changed', t.name, () => t.push(small, 'small'));
  }
  writeFileSync(join(small, 'd7', 'f7.bin'), randomBytes(4096));
  for (const t of tools.filter((t) => t.ok)) await measure('re-push, 1 file changed', t.name, () => t.push(small, 'small'));
  for (const t of tools.filter((t) => t.ok)) await measure('push 20 × 8 MiB', t.name, () => t.push(large, 'large'));
  for (const t of tools.filter((t) => t.ok)) {
    const target = join(work, `restore-${t.name.split(' ')[0]}`);
    await measure('restore 2,000 files into an empty dir', t.name, () => t.pull('small', target));
  }
  printTable(rows);

  await api.close();
  proxy.server.close();
  await s3.stop();
  await dynamo.stop();
  rmSync(work, { recursive: true, force: true });
}

function printTable(rows: Row[]): void {
  console.log('\n| scenario | tool | wall time (s) | HTTP requests | time ÷ rclone | requests ÷ rclone | API→S3 checks |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const rclone = rows.find((x) => x.scenario === r.scenario && x.tool === 'rclone sync');
    const ratio = (a: number, b?: number) => (b ? (a / b).toFixed(2) : 'n/a');
    const server = r.tool === 'satchel sync' ? String(r.serverS3) : '–';
    console.log(`| ${r.scenario} | ${r.tool} | ${r.seconds.toFixed(2)} | ${r.requests} | ${ratio(r.seconds, rclone?.seconds)} | ${ratio(r.requests, rclone?.requests)} | ${server} |`);
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
