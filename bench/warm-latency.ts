import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ROUTES } from '../lib/routes';
import { KeyStore } from '../lambdas/auth/keys';
import { documentClient } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import { ensureTables, localEnvironment, LOCAL_BUCKET } from '../local/bootstrap';
import { startDynamo, startS3 } from '../local/emulators';
import { startServer } from '../local/server';

/**
 * Warm latency of `GET /api/workspaces/{id}` through the local runtime (HTTP server, authorizer,
 * handler, DynamoDB Local): `npm run bench -- warm-latency [--requests 1000]`.
 */
const has = (method: string, path: string) => {
  const route = ROUTES.find((r) => r.method === method && r.path === path);
  return route !== undefined && existsSync(join(__dirname, '..', 'lambdas', `${route.handler}.ts`));
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export async function run(args: string[]): Promise<void> {
  const i = args.indexOf('--requests');
  const requests = i >= 0 ? Number(args[i + 1]) : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'satchel-bench-'));
  const dynamo = await startDynamo();
  const s3 = await startS3({ directory: join(dir, 's3'), bucket: LOCAL_BUCKET }).catch(async (e) => (await dynamo.stop(), Promise.reject(e)));
  try {
    await ensureTables(dynamo.endpoint);
    Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: s3.endpoint }), { SATCHEL_HOME: join(dir, 'home') });
    const server = await startServer();
    try {
      const { key } = await new KeyStore(documentClient(), config.tableName('apiKeys')).create({ tenant: 'bench' });
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      let path = '/api/workspaces';
      let label = path;
      if (has('GET', '/api/workspaces/{id}')) {
        let id: string;
        if (has('POST', '/api/workspaces')) {
          const res = await fetch(`${server.url}/api/workspaces`, { method: 'POST', headers, body: JSON.stringify({ root_dir: '/home/bench/project' }) });
          if (res.status !== 201) throw new Error(`POST /api/workspaces answered ${res.status}: ${await res.text()}`);
          id = ((await res.json()) as { workspace: { id: string } }).workspace.id;
        } else {
          // the registry's layout (lambdas/registry/service.ts): pk T#<tenant>, sk WS#<id>
          id = 'ws_bench';
          const now = new Date().toISOString();
          await documentClient().send(new PutCommand({
            TableName: config.tableName('workspaces'),
            Item: { pk: 'T#bench', sk: `WS#${id}`, id, name: 'project', root_dir: '/home/bench/project', add_dirs: [], created_at: now, updated_at: now },
          }));
        }
        path = `/api/workspaces/${encodeURIComponent(id)}`;
        label = '/api/workspaces/{id}';
      } else {
        console.log('GET /api/workspaces/{id} has no handler on this branch: measuring GET /api/workspaces instead');
      }
      const once = async () => {
        const start = performance.now();
        const res = await fetch(server.url + path, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
        return performance.now() - start;
      };
      for (let n = 0; n < 50; n++) await once();
      const times: number[] = [];
      for (let n = 0; n < requests; n++) times.push(await once());
      times.sort((a, b) => a - b);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      console.log(`Warm latency of GET ${label} through the local runtime (${requests} sequential requests after 50 warm-up)`);
      console.log(`  p50 ${percentile(times, 50).toFixed(2)} ms   p90 ${percentile(times, 90).toFixed(2)} ms   p99 ${percentile(times, 99).toFixed(2)} ms   mean ${mean.toFixed(2)} ms`);
    } finally {
      await server.close();
    }
  } finally {
    await s3.stop();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
