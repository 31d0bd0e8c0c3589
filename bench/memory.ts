import { cpus, loadavg } from 'node:os';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createSatchelClient, type SatchelClient } from '../client/sdk';
import type { MemoryOperation } from '../client/sdk';
import { KeyStore } from '../lambdas/auth/service/keys';
import { documentClient } from '../lambdas/kit/aws';
import { config } from '../lambdas/kit/config';
import { compactLog } from '../lambdas/memory/service/compaction';
import { encodeCursor } from '../lambdas/memory/service/cursor';
import { partitionKey } from '../lambdas/memory/service/store';
import { ensureTables, localEnvironment } from '../local/bootstrap';
import { startDynamo } from '../local/dynamodb-local';
import { startServer } from '../local/server';
import { logItemCount } from '../test/support/memory-log';

/**
 * Memory sync through the local runtime (HTTP server + handlers + DynamoDB Local in memory):
 * push 10,000 records in batches of 100, pull them back (full, then incremental after 100
 * changes), 8 concurrent writers; next to the floor, a bare loop of conditional PutItem calls
 * against the same DynamoDB Local at the same client concurrency (1 loop, 8 loops).
 */
const BATCH = 100;
const WRITERS = 8;
/** The long-log scenario rewrites every record this many times. */
const REWRITES = 10;
/** Operations per push while building the long log (8 writers at once keep each request short). */
const LOG_BATCH = 250;
/** The floor's rate is measured on this many writes (a sample: a bare sequential loop is slow). */
const FLOOR_SAMPLE = 2_000;

const record = (i: number, at: string) => ({
  objective: `episode ${i}`,
  outcome: 'success',
  lessons: ['Check logs first', 'Write the test before the fix'],
  body: 'x'.repeat(200),
  local_updated_at: at,
});

const operations = (prefix: string, from: number, count: number, at: string): MemoryOperation[] =>
  Array.from({ length: count }, (_, i) => ({
    table: 'episodes',
    record_id: `${prefix}${from + i}`,
    operation: 'upsert',
    data: record(from + i, at),
  }));

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - start) / 1000, value };
}

/** Conditional PutItem of items shaped like the state items, `concurrency` in flight. */
async function floor(count: number, concurrency: number): Promise<number> {
  const table = config.tableName('syncRecords');
  const pk = `BENCH#floor#${concurrency}`;
  let next = 0;
  const { seconds } = await timed(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          await documentClient().send(
            new PutCommand({
              TableName: table,
              Item: {
                pk,
                sk: `R#episodes#f${i}`,
                ts: i,
                h: 'x',
                del: false,
                seq: i,
                data: JSON.stringify(record(i, '2024-01-15T10:00:00Z')),
              },
              ConditionExpression: 'attribute_not_exists(pk) OR ts < :ts',
              ExpressionAttributeValues: { ':ts': i },
            }),
          );
        }
      }),
    ),
  );
  return count / seconds;
}

/** The read floor: a bare paged Query over the agent's state items (what a full pull reads). */
async function readFloor(tenant: string, agent: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  const { seconds } = await timed(async () => {
    do {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: config.tableName('syncRecords'),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
          ExpressionAttributeValues: { ':pk': partitionKey(tenant, agent), ':r': 'R#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  });
  return count / seconds;
}

const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} records/s`;
const ms = (seconds: number) => `${Math.round(seconds * 1000)} ms`;
const count = (n: number) => n.toLocaleString('en-US');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * What a long log costs the pulls that matter, before and after compaction: an incremental pull
 * of 100 fresh changes from a cursor (median of 5), the first page of a device that never pulled
 * (a replay of the log before compaction, a full resync after), and the status of a new device.
 */
async function longLogFigures(
  client: SatchelClient,
  tenant: string,
  agent: string,
  round: { n: number },
  label: string,
  figures: [string, string][],
) {
  const pk = partitionKey(tenant, agent);
  const incremental: number[] = [];
  for (let i = 0; i < 5; i++) {
    const pushed = await client.syncPush({
      agent_id: agent,
      operations: operations('lg', i * 100, 100, new Date(Date.UTC(2025, 0, 1, 0, 0, round.n++)).toISOString()),
    });
    const first = Math.min(...pushed.results.map((r) => r.server_seq ?? Infinity));
    const cursor = encodeCursor(pk, { kind: 'c', s: first - 1 });
    const pulled = await timed(() => client.syncPull({ agent_id: agent, cursor }));
    if (pulled.value.pulled !== 100) throw new Error(`incremental pull returned ${pulled.value.pulled}`);
    incremental.push(pulled.seconds);
  }
  const fresh = await timed(() => client.syncPull({ agent_id: agent, device_id: `new-${label}` }));
  const status = await timed(() => client.syncStatus({ agent_id: agent, device_id: `never-${label}` }));
  figures.push([`  ${label}: log items`, count(await logItemCount(tenant, agent))]);
  figures.push([`  ${label}: incremental pull of 100 changes (median of 5)`, ms(median(incremental))]);
  figures.push([
    `  ${label}: first page of a new device${fresh.value.full_resync ? ' (full resync)' : ''}`,
    `${ms(fresh.seconds)} for ${count(fresh.value.pulled)} records`,
  ]);
  figures.push([`  ${label}: status of a device that never pulled`, ms(status.seconds)]);
}

/** `npm run bench -- memory [records] [log records]` (defaults 10,000 and 10,000: a log of 100,000 changes). */
export async function run(args: string[]): Promise<void> {
  const RECORDS = Number(args[0] ?? 10_000);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const dynamo = await startDynamo();
  try {
    await ensureTables(dynamo.endpoint);
    // memory sync never touches S3
    Object.assign(process.env, localEnvironment({ dynamo: dynamo.endpoint, s3: 'http://127.0.0.1:9' }));
    const server = await startServer();
    try {
      const keys = new KeyStore(documentClient(), config.tableName('apiKeys'));
      const { key } = await keys.create({ tenant: 'bench', surfaces: ['memory'] });
      const client = createSatchelClient({ baseUrl: server.url, apiKey: key });
      const figures: [string, string][] = [];

      const push = await timed(async () => {
        for (let i = 0; i < RECORDS; i += BATCH) {
          const res = await client.syncPush({ agent_id: 'bench', operations: operations('ep', i, BATCH, '2024-01-15T10:00:00Z') });
          if (res.pushed !== BATCH) throw new Error(`push: ${res.pushed} of ${BATCH} synced`);
        }
      });
      figures.push([`push ${RECORDS} records, batches of ${BATCH}, one client`, rate(RECORDS / push.seconds)]);

      const full = await timed(async () => {
        let count = 0;
        let cursor = '';
        for await (const page of client.pullAll({ agent_id: 'bench', full: true, limit: 1000 })) {
          count += page.pulled;
          cursor = page.cursor;
        }
        if (count !== RECORDS) throw new Error(`full pull returned ${count}`);
        return cursor;
      });
      figures.push([`full pull of ${RECORDS} records (pages of 1,000)`, rate(RECORDS / full.seconds)]);
      figures.push([`floor: bare paged Query of the same ${RECORDS} state items`, rate(await readFloor('bench', 'bench'))]);

      await client.syncPush({ agent_id: 'bench', operations: operations('ep', 0, 100, '2024-01-16T10:00:00Z') });
      const incremental = await timed(async () => {
        let count = 0;
        for await (const page of client.pullAll({ agent_id: 'bench', cursor: full.value })) count += page.pulled;
        if (count !== 100) throw new Error(`incremental pull returned ${count}`);
      });
      figures.push([
        'incremental pull after 100 changes',
        `${rate(100 / incremental.seconds)} (${Math.round(incremental.seconds * 1000)} ms)`,
      ]);

      const concurrent = await timed(() =>
        Promise.all(
          Array.from({ length: WRITERS }, async (_, w) => {
            for (let i = 0; i < RECORDS / WRITERS; i += BATCH) {
              await client.syncPush({ agent_id: 'bench-shared', operations: operations(`w${w}-`, i, BATCH, '2024-01-15T10:00:00Z') });
            }
          }),
        ),
      );
      figures.push([`${WRITERS} concurrent writers, ${RECORDS} records in all, batches of ${BATCH}`, rate(RECORDS / concurrent.seconds)]);

      // a long log: LOG_RECORDS records rewritten REWRITES times by 8 writers, then compacted
      const LOG_RECORDS = Number(args[1] ?? RECORDS);
      const logAgent = 'bench-log';
      const writing = await timed(async () => {
        for (let r = 0; r < REWRITES; r++) {
          const at = new Date(Date.UTC(2024, 0, 1, 0, r)).toISOString();
          await Promise.all(
            Array.from({ length: WRITERS }, async (_, w) => {
              const share = LOG_RECORDS / WRITERS;
              for (let i = 0; i < share; i += LOG_BATCH) {
                const res = await client.syncPush({
                  agent_id: logAgent,
                  operations: operations(`w${w}-`, i, Math.min(LOG_BATCH, share - i), at),
                });
                if (res.failed) throw new Error(`log push: ${res.failed} failed`);
              }
            }),
          );
        }
      });
      figures.push([
        `log of ${count(LOG_RECORDS * REWRITES)} changes (${count(LOG_RECORDS)} records x ${REWRITES}), ${WRITERS} writers`,
        rate((LOG_RECORDS * REWRITES) / writing.seconds),
      ]);
      const round = { n: 0 };
      await longLogFigures(client, 'bench', logAgent, round, 'before compaction', figures);
      process.env.SATCHEL_MEMORY_LOG_RETENTION_MS = '0';
      const compaction = await timed(async () => {
        let removed = 0;
        for (let horizon = -1; ; ) {
          const step = await compactLog(partitionKey('bench', logAgent), 5000);
          removed += step.removed;
          if (step.horizon === horizon) return removed;
          horizon = step.horizon;
        }
      });
      // back to the default window: with 0 every fresh change would be behind the horizon at once
      delete process.env.SATCHEL_MEMORY_LOG_RETENTION_MS;
      figures.push([
        `  compaction (retention 0): ${count(compaction.value)} changes removed`,
        `${rate(compaction.value / compaction.seconds)} (${Math.round(compaction.seconds)} s)`,
      ]);
      await longLogFigures(client, 'bench', logAgent, round, 'after compaction', figures);

      figures.push(['floor: bare loop of conditional PutItem, 1 loop', rate(await floor(FLOOR_SAMPLE, 1))]);
      figures.push([`floor: bare loop of conditional PutItem, ${WRITERS} loops`, rate(await floor(FLOOR_SAMPLE, WRITERS))]);

      const width = Math.max(...figures.map(([label]) => label.length));
      console.log(
        `\nmemory sync (local runtime, DynamoDB Local in memory; load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} on ${cpus().length} CPUs)`,
      );
      for (const [label, value] of figures) console.log(`  ${label.padEnd(width)}  ${value}`);
    } finally {
      await server.close();
    }
  } finally {
    await dynamo.stop();
  }
}
