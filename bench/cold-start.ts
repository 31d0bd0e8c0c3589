import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { TABLES, tableEnvVar, BUCKET_ENV_VAR } from '../lambdas/kit/data-model';
import { BUNDLE_MAIN_FIELDS, LOCAL_ONLY_MODULES } from '../lib/constructs/satchel-function';
import { JOBS } from '../lambdas/jobs';
import { ROUTES, functionName } from '../lambdas/routes';
import { run as warmLatency } from './warm-latency';

/**
 * Cold start of every function: the minified bundle, built the way lib/constructs/satchel-function.ts
 * has NodejsFunction build it, and its module init time in a fresh Node process (median of runs),
 * next to a floor: a bare handler that only constructs a DynamoDB document client, and the reference:
 * that floor as every function was before issue 17: bundled from the packages' CommonJS builds and
 * loaded with `--enable-source-maps`. Targets: every function within 1.5x the reference, the median within 1.3x.
 *
 *   npm run bench -- cold-start [--runs 7] [--sdk bundled|external] [--source-maps] [--no-warm]
 *
 * `--source-maps` loads the floor and the functions with `--enable-source-maps`, as the stack does with
 * context `sourceMapStackTraces=true` (off by default).
 *
 * `--sdk external` leaves `@aws-sdk/*` out of the bundle (NodejsFunction's default for Node 22, which
 * loads the runtime's SDK); the stack bundles it (`externalModules: []`), so `bundled` is the default.
 */
const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'node_modules', '.cache', 'satchel-bench');
const LIMIT = 1.5;
const MEDIAN_LIMIT = 1.3;
/** esbuild's default for platform node: the CommonJS builds, as functions were bundled before BUNDLE_MAIN_FIELDS. */
const COMMONJS_MAIN_FIELDS = ['main', 'module'];

interface Build {
  external: string[];
  mainFields: string[];
  /** Loaded with NODE_OPTIONS=--enable-source-maps. */
  sourceMaps: boolean;
}

interface Subject {
  name: string;
  entry: string;
}

const subjects = (): Subject[] => {
  const handlers = [
    ...ROUTES.map((r) => ({ name: functionName(r), handler: r.handler })),
    { name: 'Authorizer', handler: 'auth/authorize-request' },
    ...JOBS.map((j) => ({ name: j.handler, handler: j.handler })),
  ];
  return handlers.map((h) => ({ name: h.name, entry: join(ROOT, 'lambdas', `${h.handler}.ts`) }));
};

async function bundle(subject: Subject, { external, mainFields }: Build): Promise<{ file: string; bytes: number }> {
  const file = join(OUT, subject.name.replace(/[^\w.-]+/g, '_'), 'index.js');
  await build({
    entryPoints: [subject.entry],
    outfile: file,
    bundle: true,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    target: 'node22',
    platform: 'node',
    format: 'cjs',
    external,
    mainFields,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}

/** What Lambda sets, plus what the stack gives a function (tables, bucket, Powertools). */
function lambdaEnvironment(name: string, sourceMaps: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    AWS_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    POWERTOOLS_SERVICE_NAME: 'satchel',
    POWERTOOLS_METRICS_NAMESPACE: 'Satchel',
    [BUCKET_ENV_VAR]: 'bench-bucket',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const def of Object.values(TABLES)) env[tableEnvVar(def.id)] = `bench-${def.id}`;
  return env;
}

/** CPU time of the require (user + system): on a shared machine wall time mostly measures the neighbours. */
const INIT_PROBE = `
const wall = process.hrtime.bigint();
const cpu = process.cpuUsage();
require(process.argv[1]);
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ cpu: (used.user + used.system) / 1000, wall: Number(process.hrtime.bigint() - wall) / 1e6 }));
`;

interface Init {
  cpu: number;
  wall: number;
}

function init(file: string, name: string, sourceMaps: boolean): Init {
  const result = spawnSync(process.execPath, ['-e', INIT_PROBE, file], {
    env: lambdaEnvironment(name, sourceMaps),
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${name}: module init failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Init;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const runs = Number(option(args, '--runs') ?? 7);
  const sdk = option(args, '--sdk') ?? 'bundled';
  if (sdk !== 'bundled' && sdk !== 'external') throw new Error('--sdk is bundled or external');
  // as the stack bundles: the local runtime's own packages stay out
  const external = [...LOCAL_ONLY_MODULES, ...(sdk === 'external' ? ['@aws-sdk/*'] : [])];
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });

  const sourceMaps = args.includes('--source-maps');
  const build: Build = { external, mainFields: BUNDLE_MAIN_FIELDS, sourceMaps };
  console.log(
    `Cold start: esbuild minify, node22, cjs, main fields ${BUNDLE_MAIN_FIELDS.join(',')}, source map files; ` +
      `${sourceMaps ? 'with' : 'without'} --enable-source-maps; AWS SDK ${sdk}; Node ${process.version}; median of ${runs} fresh processes`,
  );
  console.log(
    'x ref: against the reference, the floor as functions were before: CommonJS builds (main fields main,module), --enable-source-maps\n',
  );
  const floorEntry = join(__dirname, 'floor-handler.ts');
  const reference = {
    name: 'reference floor (CommonJS builds)',
    entry: floorEntry,
    build: { external, mainFields: COMMONJS_MAIN_FIELDS, sourceMaps: true },
  };
  const all = [
    reference,
    { name: 'floor (DynamoDB document client)', entry: floorEntry, build },
    ...subjects().map((s) => ({ ...s, build })),
  ];
  const missing = all.filter((s) => !existsSync(s.entry)).map((s) => `${s.name} (${s.entry.slice(ROOT.length + 1)})`);
  const present = all.filter((s) => existsSync(s.entry));
  const bundles = [];
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
  for (const subject of present) bundles.push({ ...subject, ...(await bundle(subject, subject.build)) });
  const loadStart = load();
  // round-robin, so that load on the machine falls on every function alike
  const samples = bundles.map(() => [] as Init[]);
  for (let i = 0; i <= runs; i++) {
    bundles.forEach((b, j) => {
      const sample = init(b.file, b.name, b.build.sourceMaps);
      if (i > 0) samples[j].push(sample); // the first round warms the file system cache
    });
  }
  const measured = bundles.map((b, j) => ({
    name: b.name,
    bytes: b.bytes,
    cpu: median(samples[j].map((s) => s.cpu)),
    wall: median(samples[j].map((s) => s.wall)),
  }));
  const [ref, floor, ...rows] = measured;
  console.log(`load average while measuring: ${loadStart} at the start, ${load()} at the end (1, 5, 15 min)\n`);

  const table = [
    ['function', 'bundle KiB', 'init ms (CPU)', 'init ms (wall)', 'x ref', 'x floor', ''],
    ...measured.map((r) => {
      const ratio = r.cpu / ref.cpu;
      return [
        r.name,
        (r.bytes / 1024).toFixed(0),
        r.cpu.toFixed(1),
        r.wall.toFixed(1),
        ratio.toFixed(2),
        (r.cpu / floor.cpu).toFixed(2),
        ratio > LIMIT ? `OVER ${LIMIT}x` : '',
      ];
    }),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table)
    console.log(
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    );
  if (missing.length) console.log(`\nnot measured, handler file missing: ${missing.join(', ')}`);
  const over = rows.filter((r) => r.cpu / ref.cpu > LIMIT);
  const medianRow = median(rows.map((r) => r.cpu));
  console.log(
    over.length
      ? `\n${over.length} of ${rows.length} functions over ${LIMIT}x the reference floor`
      : `\nall ${rows.length} functions within ${LIMIT}x the reference floor`,
  );
  console.log(
    `median function ${medianRow.toFixed(1)} ms = ${(medianRow / ref.cpu).toFixed(2)}x the reference floor (target ${MEDIAN_LIMIT}x); ` +
      `max ${Math.max(...rows.map((r) => r.cpu)).toFixed(1)} ms`,
  );

  if (!args.includes('--no-warm')) {
    console.log('');
    await warmLatency([]);
  }
}
