import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { readEntry } from '../../../lambdas/items/service/store';
import { onManifestsChange } from '../../../lambdas/items/process-manifest-changes';
import type { ScopeRef } from '../../../lambdas/items/service/scope';
import { eventually, putPendingFetch } from '../../support/items';

// One tenant's slow fileUrl servers must not delay another tenant's items in the stream consumer
// (the AWS background path): fetches run concurrently, each tenant within its share.

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-ingest-fairness-'));

let server: Server;
let base: string;
const trickling = new Set<ServerResponse>();
let closing = false;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/fast.txt') return res.end('fast and complete');
    if (closing) return res.destroy();
    // a deliberately slow server: one byte a second, for ever
    res.writeHead(200, { 'content-type': 'text/plain' });
    trickling.add(res);
    const timer = setInterval(() => res.write('.'), 1000);
    res.once('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.4', resolve));
  base = `http://127.0.0.4:${(server.address() as { port: number }).port}`;
  process.env.SATCHEL_FETCH_ALLOWED_HOSTS = '127.0.0.4';
  // no rate floor here: the share alone must keep the other tenant's item moving
  process.env.SATCHEL_FETCH_MIN_BYTES_PER_SECOND = '0';
  process.env.SATCHEL_FETCH_TIMEOUT_SECONDS = '120';
  process.env.SATCHEL_INGEST_TENANT_CONCURRENCY = '2';
});
afterAll(async () => {
  for (const name of [
    'SATCHEL_FETCH_ALLOWED_HOSTS',
    'SATCHEL_FETCH_MIN_BYTES_PER_SECOND',
    'SATCHEL_FETCH_TIMEOUT_SECONDS',
    'SATCHEL_INGEST_TENANT_CONCURRENCY',
  ])
    delete process.env[name];
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let n = 0;
async function pendingItem(tenant: string, path: string, url: string) {
  const ref: ScopeRef = { tenant, scope: 'company', scopeId: '-' };
  const itemId = `f0000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const keys = await putPendingFetch(ref, path, itemId, url);
  return { ref, path, keys };
}

const insert = (keys: { pk: string; sk: string }, seq: number) => ({
  eventName: 'INSERT',
  dynamodb: { Keys: { pk: { S: keys.pk }, sk: { S: keys.sk } }, SequenceNumber: String(seq) },
});

describe('background ingestion under a slow server', () => {
  it("makes another tenant's item ready in time while one tenant's fetches crawl", async () => {
    const slowTenant = `t-slow-${Date.now()}`;
    const slow = await Promise.all([1, 2, 3, 4, 5].map((i) => pendingItem(slowTenant, `/slow/${i}.txt`, `${base}/slow-${i}.txt`)));
    const other = await pendingItem(`t-other-${Date.now()}`, '/fast.txt', `${base}/fast.txt`);
    // the slow tenant's records come first in the batch, as they would after a burst of adds
    const event = { Records: [...slow, other].map((item, i) => insert(item.keys, i + 1)) } as unknown as DynamoDBStreamEvent;
    const consumer = onManifestsChange(event, { getRemainingTimeInMillis: () => 900_000 });
    try {
      // the slow fetches cannot end before the 120 s limit (they end when this test closes them), so
      // "in time" is structural: ready while all of them are still crawling; one after another
      // (before this change) it would come after five fetch limits. 30 s leaves room for a loaded machine.
      await eventually(async () => ((await readEntry(other.ref, other.path))?.status === 'ready' ? true : undefined), 30_000);
      for (const item of slow) expect((await readEntry(item.ref, item.path))?.status).toBe('pending');
    } finally {
      // end the crawl: the slow fetches (and those still waiting for their turn) fail, the consumer returns
      closing = true;
      for (const res of trickling) res.destroy();
    }
    const answer = await consumer;
    expect(answer).toEqual({ batchItemFailures: [] });
    for (const item of slow) expect((await readEntry(item.ref, item.path))?.status).toBe('failed');
  });

  it('reports records it could not start within the invocation as batch item failures, to come again', async () => {
    const tenant = `t-late-${Date.now()}`;
    const items = await Promise.all([1, 2, 3].map((i) => pendingItem(tenant, `/late/${i}.txt`, `${base}/fast.txt`)));
    const event = { Records: items.map((item, i) => insert(item.keys, 100 + i)) } as unknown as DynamoDBStreamEvent;
    // 5 s left, less than the margin: nothing may start
    const answer = await onManifestsChange(event, { getRemainingTimeInMillis: () => 5_000 });
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['100', '101', '102']);
    for (const item of items) expect((await readEntry(item.ref, item.path))?.status).toBe('pending');
    // the retry with time to spare ingests them
    expect(await onManifestsChange(event, { getRemainingTimeInMillis: () => 900_000 })).toEqual({ batchItemFailures: [] });
    for (const item of items) expect((await readEntry(item.ref, item.path))?.status).toBe('ready');
  });
});
