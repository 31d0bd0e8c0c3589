import { percentile, withLocalApi } from './support';

/**
 * Warm latency of `GET /api/workspaces/{id}` through the local runtime (HTTP server, authorizer,
 * handler, DynamoDB Local): `npm run bench -- warm-latency [--requests 1000]`.
 */
export async function run(args: string[]): Promise<void> {
  const i = args.indexOf('--requests');
  const requests = i >= 0 ? Number(args[i + 1]) : 1000;
  await withLocalApi(async (api) => {
    const headers = { authorization: `Bearer ${await api.key()}`, 'content-type': 'application/json' };
    const res = await fetch(`${api.url}/api/workspaces`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ root_dir: '/home/bench/project' }),
    });
    if (res.status !== 201) throw new Error(`POST /api/workspaces answered ${res.status}: ${await res.text()}`);
    const { workspace } = (await res.json()) as { workspace: { id: string } };
    const path = `/api/workspaces/${encodeURIComponent(workspace.id)}`;
    const once = async () => {
      const start = performance.now();
      const answer = await fetch(api.url + path, { headers });
      await answer.arrayBuffer();
      if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}`);
      return performance.now() - start;
    };
    for (let n = 0; n < 50; n++) await once();
    const times: number[] = [];
    for (let n = 0; n < requests; n++) times.push(await once());
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(`Warm latency of GET /api/workspaces/{id} through the local runtime (${requests} sequential requests after 50 warm-up)`);
    console.log(
      `  p50 ${percentile(times, 50).toFixed(2)} ms   p90 ${percentile(times, 90).toFixed(2)} ms   p99 ${percentile(times, 99).toFixed(2)} ms   mean ${mean.toFixed(2)} ms`,
    );
  });
}
