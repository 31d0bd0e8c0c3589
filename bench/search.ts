import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalise } from '../lambdas/adapters/embedder';
import { LexicalEmbedder } from '../lambdas/adapters/lexical-embedder';
import { LocalVectorIndex } from '../lambdas/adapters/local-vector-index';
import { chunkText, titleOf } from '../lambdas/items/content';
import { createSatchelClient } from '../client/sdk';
import { percentile, withLocalApi } from './support';

/**
 * `npm run bench -- search [--sizes 10000,100000] [--queries 200] [--skip-runtime] [--skip-in-process]`
 *
 * Local backend, lexical embedder, default dimension (EMBEDDING_DIMENSION, 1024). Synthetic text
 * from a 20,000-word vocabulary; items of ~100 KB (~125 chunks) in ONE tenant/scope/scopeId
 * partition (the worst case: a search scans every chunk). Prints indexing throughput (chunks/s,
 * embedding included) and search latency p50/p99 (embedding the query included), in-process and
 * through the local runtime (HTTP, authorizer, handler, DynamoDB Local, S3 emulator, persisted index).
 */

function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(42);
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'so', 'vi', 'de', 'pa', 'zu', 'qui', 'bor', 'fen', 'gal', 'hex', 'jun', 'mar', 'tor', 'wen'];
const VOCABULARY = Array.from({ length: 20_000 }, () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(''));
/** Skewed like natural text: low indexes are frequent. */
const word = () => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 2)];
const sentence = () => `${Array.from({ length: 8 + Math.floor(random() * 12) }, word).join(' ')}.`;
const document = (bytes: number) => {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const paragraph = Array.from({ length: 3 + Math.floor(random() * 4) }, sentence).join(' ');
    parts.push(paragraph);
    size += paragraph.length + 2;
  }
  return parts.join('\n\n');
};
const queries = (n: number) => Array.from({ length: n }, () => Array.from({ length: 3 + Math.floor(random() * 3) }, word).join(' '));

const ITEM_BYTES = 100_000;

function latencyLine(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label}: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms (${samples.length} queries)`;
}

const dimension = Number(process.env.EMBEDDING_DIMENSION ?? 1024);

async function inProcess(size: number, queryCount: number): Promise<void> {
  const embedder = new LexicalEmbedder(dimension);
  const dir = mkdtempSync(join(tmpdir(), 'satchel-bench-index-'));
  const index = await LocalVectorIndex.open(dir);
  let chunks = 0;
  let item = 0;
  let embedMs = 0;
  const started = performance.now();
  while (chunks < size) {
    const path = `/bench/doc-${item}.txt`;
    const texts = chunkText(document(ITEM_BYTES)).slice(0, size - chunks);
    const t0 = performance.now();
    const vectors = await embedder.embed(texts.map((t) => `${titleOf(path)}\n${t}`));
    embedMs += performance.now() - t0;
    await index.putItem({ itemId: `item-${item}`, tenant: 'bench', scope: 'company', scopeId: '-', path }, texts.map((content, i) => ({ content, vector: vectors[i] })));
    chunks += texts.length;
    item++;
  }
  await index.maintain(); // what the background maintenance does after writes: fold new rows into the indexes
  const seconds = (performance.now() - started) / 1000;
  console.log(`in-process, ${size.toLocaleString('en')} chunks (${item} items, dim ${dimension}): indexing ${Math.round(size / seconds).toLocaleString('en')} chunks/s (embedding ${Math.round((embedMs / 1000 / seconds) * 100)}% of it)`);
  const searchOnly: number[] = [];
  const withEmbedding: number[] = [];
  const now = Date.now() / 1000;
  for (const q of queries(queryCount)) {
    const t0 = performance.now();
    const [vector] = await embedder.embed([q]);
    const t1 = performance.now();
    await index.search({ tenant: 'bench', scope: 'company', scopeId: '-', text: q, vector, candidates: 60, now });
    const t2 = performance.now();
    searchOnly.push(t2 - t1);
    withEmbedding.push(t2 - t0);
  }
  // minScore 0: every chunk's item competes for the top 10 (the slowest aggregation)
  const everything: number[] = [];
  for (const q of queries(Math.min(queryCount, 50))) {
    const [vector] = await embedder.embed([q]);
    const t0 = performance.now();
    await index.search({ tenant: 'bench', scope: 'company', scopeId: '-', text: q, vector, candidates: 60, now });
    everything.push(performance.now() - t0);
  }
  // a dense query (every dimension non-zero, like Bedrock or OpenAI vectors) scans every column
  const dense: number[] = [];
  for (let i = 0; i < 20; i++) {
    const vector = normalise(Array.from({ length: dimension }, () => random() - 0.5));
    const t0 = performance.now();
    await index.search({ tenant: 'bench', scope: 'company', scopeId: '-', text: 'x', vector, candidates: 60, now });
    dense.push(performance.now() - t0);
  }
  console.log(`  ${latencyLine('search (index only)', searchOnly)}`);
  console.log(`  ${latencyLine('search (query embedding + index)', withEmbedding)}`);
  console.log(`  ${latencyLine('search with minScore 0 (index only)', everything)}`);
  console.log(`  ${latencyLine('dense query vector (index only)', dense)}`);
}

async function throughRuntime(sizes: number[], queryCount: number): Promise<void> {
  await withLocalApi(async (api) => {
    const satchel = createSatchelClient({ baseUrl: api.url, apiKey: await api.key(['items']) });
    let chunks = 0;
    let item = 0;
    for (const size of sizes) {
      const started = performance.now();
      const before = chunks;
      while (chunks < size) {
        const content = document(ITEM_BYTES);
        await satchel.addItem({ scope: 'company', itemPath: `/bench/doc-${item++}.txt`, content });
        chunks += chunkText(content).length;
      }
      const indexingSeconds = (performance.now() - started) / 1000;
      console.log(
        `local runtime, ${chunks.toLocaleString('en')} chunks (${item} items of ~100 KB via POST /api/workspace/items): ` +
          `indexing ${Math.round((chunks - before) / indexingSeconds).toLocaleString('en')} chunks/s`,
      );
      const samples: number[] = [];
      for (const q of queries(queryCount)) {
        const t0 = performance.now();
        await satchel.searchItems({ scope: 'company', query: q });
        samples.push(performance.now() - t0);
      }
      console.log(`  ${latencyLine('POST /api/workspace/search', samples)}`);
    }
  });
}

export async function run(args: string[]): Promise<void> {
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizes = (option('--sizes') ?? '10000,100000').split(',').map(Number);
  const queryCount = Number(option('--queries') ?? 200);
  console.log(`search benchmark: lexical embedder, local index, one partition; ${queryCount} queries of 3-5 words, limit 10, minScore 0.7`);
  if (!args.includes('--skip-in-process')) for (const size of sizes) await inProcess(size, queryCount);
  if (!args.includes('--skip-runtime')) await throughRuntime(sizes, Math.min(queryCount, 100));
}
