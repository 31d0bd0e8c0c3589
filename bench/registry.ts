import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSatchelClient } from '../client/sdk';
import { startLocalSatchel } from '../local/runtime';
import { percentile } from './support';

/**
 * Warm latency of the registry through the local runtime (real authorizer, handlers, DynamoDB
 * Local): the detail view by id, by path and by name, plus resolve and create. Sequential calls,
 * one client, after a warm-up; figures in ms.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

async function measure(label: string, rounds: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(30, rounds); i++) await fn(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const fmt = (n: number) => n.toFixed(2).padStart(8);
  console.log(`${label.padEnd(50)} p50 ${fmt(percentile(times, 50))}  p99 ${fmt(percentile(times, 99))}  (n=${rounds})`);
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'satchel-bench-'));
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const satchel = await startLocalSatchel({ home, port: 0 });
  try {
    const client = createSatchelClient({ baseUrl: satchel.url, apiKey: satchel.apiKey, retries: 0 });
    const ws = await client.createWorkspace({ root_dir: '/bench/project', name: 'bench' });
    for (const name of ['coder', 'reviewer', 'planner']) await client.putAgent(ws.id, name, { model: 'm', tools: ['read', 'write'] });
    await client.putSkill(ws.id, 'lint', { dir: '/skills/lint' });
    await client.putProvider(ws.id, 'anthropic', { harness: 'claude-code' });
    for (let i = 0; i < 10; i++) await client.createSession(ws.id, { agent_name: 'coder' });
    console.log(`registry, local runtime, detail view of 1 workspace with 3 agents, 1 skill, 1 provider, 10 sessions`);
    await measure('GET /api/workspaces/{id} by id', ROUNDS, () => client.getWorkspace(ws.id));
    await measure('GET /api/workspaces/{id} by root path', ROUNDS, () => client.getWorkspace('/bench/project'));
    await measure('GET /api/workspaces/{id} by name', ROUNDS, () => client.getWorkspace('bench'));
    await measure('POST /api/workspaces/resolve (existing, depth 3)', ROUNDS, () => client.resolveWorkspace('/bench/project/src/lib'));
    await measure('POST /api/workspaces (new root, default name)', ROUNDS, (i) =>
      client.createWorkspace({ root_dir: `/bench/new/${i}/app` }),
    );
  } finally {
    await satchel.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
