import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@lancedb/lancedb';
import { normalise } from '../lambdas/adapters/embedder/port';
import { DEFAULT_LEXICAL_OPTIONS, LexicalEmbedder } from '../lambdas/adapters/embedder/lexical';
import { LocalVectorIndex, openLocalVectorIndex, sqlString } from '../lambdas/adapters/vector-index/local';
import { config } from '../lambdas/kit/config';
import type { Candidate } from '../lambdas/adapters/vector-index/port';
import { chunkText, titleOf } from '../lambdas/items/service/content';
import { querySentence, rankingFeatures } from '../lambdas/items/service/indexing';
import { contentWords } from '../lambdas/adapters/text-terms';
import { decodeFeatures, wordVectors } from '../lambdas/adapters/word-vectors';
import { createSatchelClient } from '../client/sdk';
import { percentile, withLocalApi } from './support';

/**
 * `npm run bench -- search [--sizes 10000,100000] [--queries 200] [--skip-runtime] [--skip-in-process] [--skip-vectors]`
 *
 * Local backend, default dimension (EMBEDDING_DIMENSION, 1024), everything in ONE
 * tenant/scope/scopeId partition (the worst case: every chunk is a candidate). Three parts:
 *   - dense vectors: clustered unit vectors (like a real embedder's, not uniform random, whose
 *     neighbours are all equally far): latency of the vector index and its recall@10 against an
 *     exact (exhaustive) search of the same rows and filter;
 *   - default (lexical) embedder in-process: English text on topics (see VOCABULARY), items of
 *     ~100 KB (~125 chunks); indexing throughput with where its time goes, search latency, and the
 *     recall@10 of the nearest-neighbour half (by the chunks' sentence vectors) against exact search;
 *   - the same through the local runtime (HTTP, authorizer, handler, DynamoDB Local, S3 emulator):
 *     searches right after the load (maintenance folding it into the indexes runs beside them),
 *     then once the index has settled.
 * Each figure is printed with the 1-minute load average: the bench machine is shared.
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
const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];

/**
 * English text on topics, as a workspace's notes are: the offline embedder's sentence vectors are
 * made of word vectors, so random strings would have none, and bags of random words no topic. The
 * words are the word vectors' own (their VOCABULARY most frequent content words); each of TOPICS
 * topics is the TOPIC_WORDS words closest to a seed word. A sentence is on one of its item's topics:
 * half its words from that topic, half general words (skewed like natural text: frequent words more).
 */
const VOCABULARY_WORDS = 20_000;
const TOPICS = 300;
const TOPIC_WORDS = 150;
const { VOCABULARY, TOPIC_LISTS } = (() => {
  const vectors = wordVectors();
  const words = [...vectors.rows.keys()].filter((w) => /^[a-z]{3,}$/.test(w) && contentWords(w).length === 1).slice(0, VOCABULARY_WORDS);
  const rowOf = words.map((w) => vectors.rows.get(w) ?? 0);
  const { dimension, values, inverseNorms } = vectors;
  const topics = Array.from({ length: TOPICS }, () => {
    const seed = rowOf[500 + Math.floor(random() * 4_500)];
    const cosines = rowOf.map((row) => {
      let sum = 0;
      for (let i = 0; i < dimension; i++) sum += values[seed * dimension + i] * values[row * dimension + i];
      return sum * inverseNorms[seed] * inverseNorms[row];
    });
    return [...cosines.keys()]
      .sort((a, b) => cosines[b] - cosines[a])
      .slice(0, TOPIC_WORDS)
      .map((i) => words[i]);
  });
  return { VOCABULARY: words, TOPIC_LISTS: topics };
})();
/** Skewed like natural text: low indexes are frequent. */
const word = () => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 2)];
const sentence = (topic: string[]) =>
  `${Array.from({ length: 8 + Math.floor(random() * 12) }, () => (random() < 0.5 ? pick(topic) : word())).join(' ')}.`;
const document = (bytes: number) => {
  const topics = Array.from({ length: 3 }, () => pick(TOPIC_LISTS));
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const paragraph = Array.from({ length: 3 + Math.floor(random() * 4) }, () => sentence(pick(topics))).join(' ');
    parts.push(paragraph);
    size += paragraph.length + 2;
  }
  return parts.join('\n\n');
};
/** 3-5 words, mostly of one topic. */
const queries = (n: number) =>
  Array.from({ length: n }, () => {
    const topic = pick(TOPIC_LISTS);
    return Array.from({ length: 3 + Math.floor(random() * 3) }, () => (random() < 0.7 ? pick(topic) : word())).join(' ');
  });

const ITEM_BYTES = 100_000;

const load = () => `load ${loadavg()[0].toFixed(1)}`;

function latencyLine(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    `${label}: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ` +
    `first ${samples[0].toFixed(2)} ms (${samples.length} queries; ${load()})`
  );
}

const PARTITION = { tenant: 'bench', scope: 'company', scopeId: '-' };
const CLUSTERS = 500;
/** Spread of a vector around its cluster centre: cosine to the centre ~0.7, to a neighbour of the same cluster ~0.5. */
const SPREAD = 1;

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** `size` unit vectors around CLUSTERS random centres, searched through the index and exhaustively. */
async function denseVectors(size: number, queryCount: number): Promise<void> {
  const centres = Array.from({ length: CLUSTERS }, () => normalise(Array.from({ length: dimension }, gaussian)));
  const near = () => {
    const centre = centres[Math.floor(random() * CLUSTERS)];
    return normalise(Array.from(centre, (x) => x + (SPREAD * gaussian()) / Math.sqrt(dimension)));
  };
  const dir = mkdtempSync(join(tmpdir(), 'satchel-bench-vectors-'));
  const index = await LocalVectorIndex.open(dir);
  try {
    const batch = 1_000;
    let started = performance.now();
    for (let i = 0; i < size; i += batch) {
      const chunks = Array.from({ length: Math.min(batch, size - i) }, (_, j) => ({ content: `chunk ${i + j}`, vector: near() }));
      await index.putItem({ ...PARTITION, itemId: `v-${i}`, path: `/vectors/${i}` }, chunks);
    }
    const writeSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await index.settle(); // the maintenance the writes started, to the settled index
    const maintainSeconds = (performance.now() - started) / 1000;
    console.log(
      `dense vectors, ${size.toLocaleString('en')} rows (dim ${dimension}, ${CLUSTERS} clusters): writes ${writeSeconds.toFixed(1)} s, ` +
        `maintenance with vector index build ${maintainSeconds.toFixed(1)} s (${load()})`,
    );
    const exact = await exactSearch(dir);
    const samples: number[] = [];
    const exactSamples: number[] = [];
    let found = 0;
    const now = Date.now() / 1000;
    // the timed searches first, the exhaustive ones after: an exhaustive search reads every vector and
    // leaves the caches to it, which added ~10 ms to the next indexed search at 100,000 chunks
    const searched: { vector: Float32Array; candidates: Candidate[] }[] = [];
    for (let q = 0; q < queryCount; q++) {
      const vector = near();
      const t0 = performance.now();
      searched.push({ vector, candidates: await index.search({ ...PARTITION, text: 'nothingmatchesthis', vector, candidates: 60, now }) });
      samples.push(performance.now() - t0);
    }
    for (const { vector, candidates } of searched) {
      const t1 = performance.now();
      const nearest = await exact(vector);
      exactSamples.push(performance.now() - t1);
      found += overlapAt10(candidates, nearest);
    }
    console.log(
      `  recall@10 against exact search: ${(found / (queryCount * 10)).toFixed(3)} (${queryCount} queries near random cluster centres)`,
    );
    console.log(`  ${latencyLine('search through the index (vector + full-text halves)', samples)}`);
    console.log(`  ${latencyLine('exact vector search (exhaustive, for comparison)', exactSamples)}`);
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const dimension = Number(process.env.EMBEDDING_DIMENSION ?? 1024);

/** The 10 nearest rows' contents of the bench partition by exhaustive search (the vector index bypassed) of `column`. */
async function exactSearch(dir: string, column = 'vector'): Promise<(vector: Float32Array) => Promise<string[]>> {
  const table = await (await connect(dir)).openTable(`chunks_${dimension}`);
  const filter = `tenant = ${sqlString(PARTITION.tenant)} AND scope = ${sqlString(PARTITION.scope)} AND scope_id = ${sqlString(PARTITION.scopeId)}`;
  return async (vector) =>
    (
      await table
        .query()
        .nearestTo(vector)
        .column(column)
        .distanceType('cosine')
        .bypassVectorIndex()
        .where(filter)
        .select(['content', '_distance'])
        .limit(10)
        .toArray()
    ).map((row) => row.content as string);
}

/** How many of the exact 10 nearest are among the 10 candidates of highest similarity (by default their cosine). */
function overlapAt10(candidates: Candidate[], exact: string[], similarity = (c: Candidate) => c.cosine): number {
  const got = new Set(
    [...candidates]
      .sort((a, b) => similarity(b) - similarity(a))
      .slice(0, 10)
      .map((c) => c.content),
  );
  return exact.filter((content) => got.has(content)).length;
}

/** A candidate's sentence vector cosine with the query's, from its stored features. */
function sentenceCosine(query: Float32Array): (c: Candidate) => number {
  return (c) => {
    const sentence = c.features && decodeFeatures(c.features)?.features.sentence;
    return sentence ? sentence.reduce((sum, x, i) => sum + x * query[i], 0) : -2;
  };
}

async function inProcess(size: number, queryCount: number): Promise<void> {
  const embedder = new LexicalEmbedder(dimension);
  const dir = mkdtempSync(join(tmpdir(), 'satchel-bench-index-'));
  const index = await LocalVectorIndex.open(dir);
  let chunks = 0;
  let item = 0;
  let embedMs = 0;
  let chunkMs = 0;
  let writeMs = 0;
  const started = performance.now();
  while (chunks < size) {
    const path = `/bench/doc-${item}.txt`;
    const text = document(ITEM_BYTES);
    const t0 = performance.now();
    const texts = chunkText(text).slice(0, size - chunks);
    const t1 = performance.now();
    // as indexing does (embedTexts): the embedding and what the ranking computes of each chunk
    const titled = texts.map((t) => `${titleOf(path)}\n${t}`);
    const vectors = await embedder.embed(titled);
    const features = await rankingFeatures(titleOf(path), titled, DEFAULT_LEXICAL_OPTIONS);
    const t2 = performance.now();
    await index.putItem(
      { itemId: `item-${item}`, ...PARTITION, path },
      texts.map((content, i) => ({ content, vector: vectors[i], ...features?.[i] })),
    );
    chunkMs += t1 - t0;
    embedMs += t2 - t1;
    writeMs += performance.now() - t2;
    chunks += texts.length;
    item++;
  }
  const beforeMaintenance = performance.now();
  const searchableMs = beforeMaintenance - started;
  await index.settle(); // what the background maintenance does once writes settle: fold new rows into the indexes
  const maintainMs = performance.now() - beforeMaintenance;
  const totalMs = performance.now() - started;
  const share = (ms: number) => `${Math.round((ms / totalMs) * 100)}%`;
  const rate = (ms: number) => Math.round(size / (ms / 1000)).toLocaleString('en');
  console.log(
    `in-process, ${size.toLocaleString('en')} chunks (${item} items, dim ${dimension}): indexing ${rate(searchableMs)} chunks/s searchable, ` +
      `${rate(totalMs)} chunks/s with the indexes built (chunking ${share(chunkMs)}, embedding and ranking features ${share(embedMs)}, ` +
      `writes incl. maintenance during the load ${share(writeMs)}, maintenance after it settled ${share(maintainMs)}; ${load()})`,
  );
  const searchOnly: number[] = [];
  const withEmbedding: number[] = [];
  const now = Date.now() / 1000;
  const exact = await exactSearch(dir, 'sentence');
  let found = 0;
  let sentences = 0;
  const searched: { sentence?: Float32Array; candidates: Candidate[] }[] = [];
  for (const q of queries(queryCount)) {
    const t0 = performance.now();
    // as findHits does: the embedder's vector and the sentence vector the nearest chunks are found by
    const [vector, sentence] = await Promise.all([embedder.embedQuery(q), querySentence(q)]);
    const t1 = performance.now();
    searched.push({ sentence, candidates: await index.search({ ...PARTITION, text: q, vector, sentence, candidates: 60, now }) });
    const t2 = performance.now();
    searchOnly.push(t2 - t1);
    withEmbedding.push(t2 - t0);
  }
  // after the timed searches (see denseVectors)
  for (const { sentence, candidates } of searched) {
    if (!sentence) continue;
    sentences++;
    found += overlapAt10(candidates, await exact(sentence), sentenceCosine(sentence));
  }
  console.log(
    `  nearest-neighbour recall@10 (sentence vectors) against exact search: ${(found / (sentences * 10)).toFixed(3)} (${sentences} queries with one)`,
  );
  console.log(`  ${latencyLine('search (index only)', searchOnly)}`);
  console.log(`  ${latencyLine('search (query embedding + index)', withEmbedding)}`);
  await index.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * When the runtime has indexed every accepted item (items of more chunks than it embeds within the
 * request are indexed in the background) and the index maintenance they started has ended: the moment
 * the indexes are built, polled, so that searches run beside and are not counted when they outlast it.
 */
async function indexesBuilt(): Promise<number> {
  const { ingestQueue } = await import('../lambdas/items/service/ingest');
  const index = await openLocalVectorIndex(config.home);
  while (ingestQueue.size || !index.idle) await new Promise((resolve) => setTimeout(resolve, 20));
  return performance.now();
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
      const loaded = performance.now();
      const indexingSeconds = (loaded - started) / 1000;
      console.log(
        `local runtime, ${chunks.toLocaleString('en')} chunks (${item} items of ~100 KB via POST /api/workspace/items): ` +
          `indexing ${Math.round((chunks - before) / indexingSeconds).toLocaleString('en')} chunks/s searchable (${load()})`,
      );
      const built = indexesBuilt(); // the searches below run beside
      const search = async () => {
        const samples: number[] = [];
        for (const q of queries(queryCount)) {
          const t0 = performance.now();
          await satchel.searchItems({ scope: 'company', query: q });
          samples.push(performance.now() - t0);
        }
        return samples;
      };
      console.log(`  ${latencyLine('POST /api/workspace/search right after the load', await search())}`);
      const searchedAt = performance.now();
      const builtAt = await built;
      console.log(
        `  indexes built ${((builtAt - loaded) / 1000).toFixed(1)} s after the load (the searches above ran beside; they ended ` +
          `${((searchedAt - loaded) / 1000).toFixed(1)} s after it): ${Math.round((chunks - before) / ((builtAt - started) / 1000)).toLocaleString('en')} ` +
          `chunks/s with the indexes built (${load()})`,
      );
      await (await openLocalVectorIndex(config.home)).settle(); // the runtime's own index: same process
      console.log(`  ${latencyLine('POST /api/workspace/search, settled index', await search())}`);
      // one more item: the first maintenance after the vector index build, with searches beside it until it ends
      const content = document(ITEM_BYTES);
      const wrote = performance.now();
      await satchel.addItem({ scope: 'company', itemPath: `/bench/doc-${item++}.txt`, content });
      chunks += chunkText(content).length;
      let maintained = false;
      const maintainedAt = indexesBuilt().then((at) => {
        maintained = true;
        return at;
      });
      const beside: number[] = [];
      const texts = queries(queryCount);
      for (let i = 0; i === 0 || !maintained; i++) {
        const t0 = performance.now();
        await satchel.searchItems({ scope: 'company', query: texts[i % texts.length] });
        beside.push(performance.now() - t0);
      }
      const longest = Math.max(...beside);
      console.log(
        `  ${latencyLine('POST /api/workspace/search while one more item is indexed', beside)}, longest ${longest.toFixed(0)} ms; ` +
          `indexes built again ${(((await maintainedAt) - wrote) / 1000).toFixed(1)} s after its POST`,
      );
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
  console.log(
    `search benchmark: local index, one partition; ${queryCount} queries; lexical embedder: queries of 3-5 words, limit 10, minScore 0.7`,
  );
  if (!args.includes('--skip-vectors')) for (const size of sizes) await denseVectors(size, Math.min(queryCount, 100));
  if (!args.includes('--skip-in-process')) for (const size of sizes) await inProcess(size, queryCount);
  if (!args.includes('--skip-runtime')) await throughRuntime(sizes, Math.min(queryCount, 100));
}
