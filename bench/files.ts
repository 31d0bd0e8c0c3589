import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { KeyStore } from '../lambdas/auth/service/keys';
import { documentClient } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from '../local/bootstrap';
import { startDynamo } from '../local/dynamodb-local';
import { startS3 } from '../local/emulators';
import { createSatchelClient, type SatchelClient } from '../client/sdk';

/**
 * `npm run bench -- files [--skip-large]`: sync and pull through the local runtime, 100 × 1 MiB
 * and 1 × 1 GiB, next to the floor: `aws s3 cp` of the same objects from (and to) the same local
 * S3 endpoint. The API runs in its own process; its peak RSS growth is measured from
 * /proc/<pid>/status (VmHWM, reset through clear_refs before each step).
 */

const MiB = 1024 * 1024;

interface Figure {
  label: string;
  bytes: number;
  seconds: number;
  rssGrowth?: number;
}

const mibPerSecond = (f: Figure) => f.bytes / MiB / f.seconds;

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Runs `fn` and returns its duration and the server's peak RSS above its RSS at the start. */
async function measured(label: string, bytes: number, pid: number, fn: () => Promise<void>): Promise<Figure> {
  const baseline = procStatus(pid, 'VmRSS');
  let canReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    canReset = false;
  }
  let sampled = baseline;
  const sampler = setInterval(() => (sampled = Math.max(sampled, procStatus(pid, 'VmRSS'))), 20);
  const started = process.hrtime.bigint();
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = Math.max(sampled, canReset ? procStatus(pid, 'VmHWM') : 0);
  return { label, bytes, seconds, rssGrowth: peak - baseline };
}

async function timed(label: string, bytes: number, fn: () => Promise<void>): Promise<Figure> {
  const started = process.hrtime.bigint();
  await fn();
  return { label, bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-1000)}`)),
    );
  });
}

async function startApi(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'files-server.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  for await (const chunk of child.stdout!) {
    out += chunk;
    const ready = /READY (\S+)/.exec(out);
    if (ready) return { url: ready[1], child };
  }
  throw new Error(`The API process exited before it was ready: ${out}`);
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(MiB);
  for (let written = 0; written < bytes; written += MiB) {
    block.writeUInt32LE(written / MiB, 0); // every MiB differs
    if (!out.write(Buffer.from(block.subarray(0, Math.min(MiB, bytes - written))))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function uploadAll(client: SatchelClient, deploymentId: string, dir: string, names: string[], size: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      await client.uploadDeploymentFile({
        deploymentId,
        fileName: name,
        fileSize: size,
        mimeType: 'application/octet-stream',
        body: Readable.toWeb(createReadStream(join(dir, name))) as ReadableStream<Uint8Array>,
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

function row(f: Figure, floor?: Figure): string {
  const ratio = floor ? `${(mibPerSecond(f) / mibPerSecond(floor)).toFixed(2)}×` : '';
  const rss = f.rssGrowth === undefined ? '' : `${(f.rssGrowth / MiB).toFixed(1)} MiB`;
  return `| ${f.label.padEnd(44)} | ${f.seconds.toFixed(2).padStart(7)} s | ${mibPerSecond(f).toFixed(1).padStart(7)} MiB/s | ${ratio.padStart(7)} | ${rss.padStart(10)} |`;
}

export async function run(args: string[]): Promise<void> {
  const aws = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  const haveAws = !aws.error && aws.status === 0;
  if (!haveAws)
    console.log(
      'NOTE: `aws` (AWS CLI) is not installed, so there is no floor to compare with. Install it, e.g. `sudo apt-get install -y awscli`.',
    );
  const skipLarge = args.includes('--skip-large');
  const dir = mkdtempSync(join(tmpdir(), 'satchel-bench-files-'));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dynamo = await startDynamo();
  const s3 = await startS3({ directory: join(dir, 's3'), bucket: LOCAL_BUCKET });
  let api: ChildProcess | undefined;
  try {
    await ensureTables(dynamo.endpoint);
    const env = {
      ...process.env,
      ...localEnvironment({ dynamo: dynamo.endpoint, s3: s3.endpoint }),
      SATCHEL_HOME: join(dir, 'home'),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    Object.assign(process.env, env);
    const tenant = 'bench';
    const { key } = await new KeyStore(documentClient(), config.tableName('apiKeys')).create({ tenant, surfaces: ['files'] });
    const started = await startApi(env);
    api = started.child;
    const pid = api.pid!;
    const client = createSatchelClient({ baseUrl: started.url, apiKey: key, retries: 0 });
    const awsEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    const awsCp = (from: string, to: string, recursive: boolean) =>
      runCommand(
        'aws',
        ['s3', 'cp', from, to, '--endpoint-url', s3.endpoint, '--only-show-errors', ...(recursive ? ['--recursive'] : [])],
        awsEnv,
      );

    const lines: string[] = [];
    const cases = [
      { label: '100 × 1 MiB', count: 100, size: MiB },
      ...(skipLarge ? [] : [{ label: '1 × 1 GiB', count: 1, size: 1024 * MiB }]),
    ];
    for (const c of cases) {
      const total = c.count * c.size;
      const source = join(dir, `source-${c.count}`);
      mkdirSync(source);
      const names = Array.from({ length: c.count }, (_, i) => `file-${String(i).padStart(3, '0')}.bin`);
      for (const name of names) await writeRandomFile(join(source, name), c.size);
      const deployment = await client.createDeployment({ name: `bench ${c.label}` });
      await uploadAll(client, deployment.id, source, names, c.size);
      const prefix = `s3://${LOCAL_BUCKET}/deployments/${tenant}/${deployment.id}/`;
      const storagePaths = names.map((n) => `deployments/${deployment.id}/${n}`);

      const sync = await measured(`sync ${c.label} (S3 → Desktop)`, total, pid, async () => {
        const result = await client.syncFilesToSandbox(deployment.id, storagePaths);
        if (result.failedFiles.length) throw new Error(`sync failed: ${JSON.stringify(result.failedFiles.slice(0, 3))}`);
      });
      const pull = await measured(`pull ${c.label} (Desktop → S3)`, total, pid, async () => {
        const result = await client.pullFilesFromSandbox(deployment.id, names);
        if (result.failedFiles.length) throw new Error(`pull failed: ${JSON.stringify(result.failedFiles.slice(0, 3))}`);
      });
      if (haveAws) {
        const into = join(dir, `aws-${c.count}`);
        const down = await timed(`floor: aws s3 cp ${c.label} S3 → folder`, total, () => awsCp(prefix, into, true));
        const up = await timed(`floor: aws s3 cp ${c.label} folder → S3`, total, () =>
          awsCp(into, `s3://${LOCAL_BUCKET}/bench-floor/${c.count}/`, true),
        );
        lines.push(row(sync, down), row(down), row(pull, up), row(up));
        rmSync(into, { recursive: true, force: true });
      } else {
        lines.push(row(sync), row(pull));
      }
      rmSync(source, { recursive: true, force: true });
    }
    console.log(
      `\nfiles bench: local runtime (API in its own process), s3rver at ${s3.endpoint}; ${haveAws ? aws.stdout.trim() : 'no aws CLI'}`,
    );
    console.log('| step                                         |    time   |    throughput | × floor | RSS growth |');
    console.log('|----------------------------------------------|-----------|---------------|---------|------------|');
    for (const line of lines) console.log(line);
  } finally {
    api?.kill();
    await s3.stop();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
