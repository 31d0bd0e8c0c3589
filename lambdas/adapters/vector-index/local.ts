import { join } from 'node:path';
import { connect, Index, type Connection, type Table } from '@lancedb/lancedb';
import {
  Binary,
  type Data,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table as ArrowTable,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { logger } from '../../kit/observability';
import { configureLanceThreads } from './lance-threads';
import type { Candidate, SentenceFill } from './port';
import type { IndexedChunk, IndexedItem, SearchQuery, VectorIndex } from './port';

/**
 * The search index of the local runtime on LanceDB (embedded, persisted under
 * `<home>/search-index/`): one table of chunks per vector dimension, a full-text (BM25) index
 * with English stemming and stop words on the content, a vector index (IVF-HNSW, cosine) once the
 * table is large enough for it to pay, and every query filtered by tenant, scope, scopeId and expiry.
 * Where chunks come with a sentence vector (IndexedChunk.sentence: the offline embedder's, whose own
 * hashed vectors do not cluster), the vector index and the nearest-neighbour half are on it; the
 * cosine handed back is still the one of `vector`.
 *
 * LanceDB searches rows not yet in an index exhaustively, so a write is searchable at once;
 * maintenance (compaction, index updates) runs in the background once writes settle.
 */
interface ChunkRow {
  item_id: string;
  tenant: string;
  scope: string;
  scope_id: string;
  path: string;
  chunk: number;
  content: string;
  /** Epoch seconds; null = never expires. */
  expires_at: number | null;
  vector: Float32Array;
  /** IndexedChunk.features; null when not given (or a row of a table made before the column). */
  features: Uint8Array | null;
  /** IndexedChunk.sentence; null when not given (or a row of a table made before the column, until fillSentences). */
  sentence: Float32Array | null;
}

configureLanceThreads();

/**
 * Rows from which a table gets its vector index: below, an exhaustive scan is a few milliseconds; at
 * 10,000 rows of 1,024 dimensions it was 290 ms on the loaded bench machine, the index 20-25 ms.
 */
export const VECTOR_INDEX_MIN_ROWS = 2_000;
/**
 * The vector index: IVF-HNSW-SQ (cosine), one HNSW graph of 8-bit quantised vectors per ~4,096
 * rows. Queries re-rank REFINE_FACTOR times the rows asked for on the full vectors, so the cosines
 * handed to the ranking are exact. Chosen over IVF-FLAT (4x faster to build, 5x slower to query at
 * 10,000 rows) and IVF-PQ by `npm run bench -- search` figures, see docs/decisions.md.
 */
const ROWS_PER_PARTITION = 4_096;
/**
 * HNSW build effort: 100 candidates and 16 neighbours instead of LanceDB's 300 and 20. Builds ~40 %
 * faster; recall@10 at 10,000 rows unchanged within noise (clustered dense vectors 1.000; lexical
 * vectors 0.87 vs 0.88, limited by the 8-bit quantisation, not the graph), since queries re-rank on
 * the full vectors anyway (REFINE_FACTOR).
 */
const EF_CONSTRUCTION = 100;
const GRAPH_DEGREE = 16;
export const partitionsFor = (rows: number): number => Math.max(1, Math.round(rows / ROWS_PER_PARTITION));
/** The index's name carries the rows it was built on, so maintenance knows when the table outgrew it. */
const VECTOR_INDEX_NAME = 'vector_hnsw_sq_rows_';
const SENTENCE_INDEX_NAME = 'sentence_hnsw_sq_rows_';
/** Rows of an upgraded table given their sentence vectors per write (fillSentences). */
const FILL_BATCH_ROWS = 4_096;
/** Rebuilt (when writes have settled) once the table has doubled; new rows in between join the graphs as delta segments. */
const REBUILD_GROWTH = 2;
/** ...or once this many delta segments (each searched apart, ~1 ms each at 10,000 rows) hold a fifth of the rows. */
const MAX_SEGMENTS = 8;
const SEGMENTS_REBUILD_GROWTH = 1.25;
/**
 * Partitions searched: at least MIN_PROBES; more, up to all, only while a narrow filter (a small
 * tenant/scope partition in a big table) has not yet found enough rows.
 */
const MIN_PROBES = 20;
const MAX_PROBES = 1_000_000;
const REFINE_FACTOR = 4;
/**
 * Sentence vectors cluster: a few partitions hold a query's nearest (recall@10 against exact search
 * 1.000 at 1 to 20 of 24 partitions on the bench's 100,000 chunks). They are not re-ranked on the
 * full vectors: their distances are not handed on (the cosine is the one of `vector`), and reading
 * the full vectors of 4x the rows asked for cost ~10 ms at 100,000 chunks, more than the search.
 */
const SENTENCE_MIN_PROBES = 6;

/**
 * Maintenance starts when no write came for SETTLE_MS: a bulk load (an agent adding a folder) gets
 * its indexes built once, at the end, instead of after every few items. Until then a query scans
 * the new rows exhaustively, and the full-text half is the dear part (~90 ms per 1,000 unindexed
 * rows at 10,000 rows), so a load that goes on past BULK_ROWS rows (or BULK_WRITES writes) is
 * folded into the full-text and existing vector indexes while it runs; vector index builds still
 * wait for the load to settle.
 */
const SETTLE_MS = 1_000;
/**
 * What is left of SETTLE_MS since the last write at `now` (ms): a run due after a fold that outlasted the
 * load's last write starts when the fold ends, not SETTLE_MS later.
 */
export const quietLeft = (lastWriteAt: number, now: number): number => Math.max(0, SETTLE_MS - (now - lastWriteAt));
const BULK_ROWS = 5_000;
const BULK_WRITES = 200;
/** While the full-text index holds fewer rows, writes are folded into it before the next search (foldWhileSmall). */
export const FOLD_AT_ONCE_ROWS = 100;
/** Bitmap indexes of the partition columns: every query filters on them before both halves. */
const FILTER_COLUMNS = ['tenant', 'scope', 'scope_id'];

/** A string literal of LanceDB's SQL filter language. */
export const sqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Added (all null) to tables made before it, when they are opened. */
const FEATURES_FIELD = new Field('features', new Binary(), true);
const vectorType = (dimension: number) => new FixedSizeList(dimension, new Field('item', new Float32(), true));
/** Added to a table when the first chunk with a sentence vector comes, or when fillSentences runs. */
const sentenceField = (dimension: number) => new Field('sentence', vectorType(dimension), true);

const schema = (dimension: number, sentenceDimension?: number) =>
  new Schema([
    new Field('item_id', new Utf8(), false),
    new Field('tenant', new Utf8(), false),
    new Field('scope', new Utf8(), false),
    new Field('scope_id', new Utf8(), false),
    new Field('path', new Utf8(), false),
    new Field('chunk', new Int32(), false),
    new Field('content', new Utf8(), false),
    new Field('expires_at', new Float64(), true),
    new Field('vector', vectorType(dimension), false),
    FEATURES_FIELD,
    ...(sentenceDimension ? [sentenceField(sentenceDimension)] : []),
  ]);

/** A row of a query's answer as resultRows reads it. */
type ResultRow = Pick<ChunkRow, 'item_id' | 'chunk' | 'path' | 'content' | 'features'> & {
  /** The embedder's vector, when the query selected it. */
  vector?: Float32Array;
  /** `_distance` of a nearest-neighbour query, `_score` of a full-text one. */
  score: number;
};

const RESULT_COLUMNS = ['item_id', 'chunk', 'path', 'content', 'features'];

/**
 * Queries and writes share the index; maintenance runs alone, because its clean-up removes the files of
 * older versions that a running query or write may still be reading.
 */
class SharedOrExclusive {
  private shared = 0;
  private exclusive: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async together<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.shared++;
    try {
      return await work();
    } finally {
      if (--this.shared === 0) this.drained?.();
    }
  }

  async alone<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let release!: () => void;
    this.exclusive = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.shared) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      return await work();
    } finally {
      this.exclusive = undefined;
      release();
    }
  }
}

export class LocalVectorIndex implements VectorIndex {
  private readonly access = new SharedOrExclusive();
  private readonly tables = new Map<number, Promise<Table>>();
  /**
   * Tables every row of which has its sentence vector where its chunk has one: made by this process,
   * or filled by fillSentences. Queries bringing a sentence vector search them by it.
   */
  private readonly sentenceReady = new WeakSet<Table>();
  /** Each table's schema as last read or changed here (the sentence column is added on demand). */
  private readonly schemas = new WeakMap<Table, Promise<Schema>>();
  /**
   * Per table, a time before which none of its rows expires (epoch seconds; Infinity: no row
   * expires): while a query's time is before it, its expiry condition would drop no row and is left
   * out of the filter (the condition was ~4 ms of a search at 100,000 rows: both halves evaluate it
   * on every row the partition holds). Lowered before each write bringing an earlier expiry, read
   * from the table when it is opened and again at each clean-up (which runs alone: no write in flight).
   */
  private readonly noExpiryBefore = new WeakMap<Table, number>();
  /** Tables whose full-text index holds FOLD_AT_ONCE_ROWS rows or more (foldWhileSmall). */
  private readonly textIndexGrown = new WeakSet<Table>();
  /** Tables written to since their small full-text index was last brought up to date, and the runs doing it. */
  private readonly unfolded = new WeakSet<Table>();
  private readonly folding = new WeakMap<Table, Promise<void>>();
  /** Writes (and their rows) not yet folded into the indexes by a maintenance run. */
  private pendingWrites = 0;
  private pendingRows = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  /** Date.now() of the last write (SETTLE_MS counts from it). */
  private lastWriteAt = 0;
  /** A run during a load folded rows in without building: a settled run is still due. */
  private settledRunDue = false;
  /** The tail of the maintenance chain (never rejects). */
  private maintenance: Promise<void> = Promise.resolve();
  /** The background run in progress (never rejects). */
  private background: Promise<void> | undefined;
  private closed = false;

  private constructor(private readonly db: Connection) {}

  static async open(dir: string): Promise<LocalVectorIndex> {
    return new LocalVectorIndex(await connect(dir));
  }

  async putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    if (chunks.length) await this.access.together(() => retryingConflicts(() => this.addRows(item, chunks)));
  }

  private async addRows(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    const sentenceDimension = chunks.find((chunk) => chunk.sentence)?.sentence?.length;
    const table = await this.table(chunks[0].vector.length, true, sentenceDimension);
    const batch = chunkBatch(item, chunks, await this.schemaOf(table, sentenceDimension));
    this.expiring(table, item.expiresAt);
    await table.add(batch);
    this.wroteTo(table);
    this.wrote(chunks.length);
  }

  /**
   * Brings a small full-text index up to date before a search reads it: while the index holds fewer
   * than FOLD_AT_ONCE_ROWS rows, the first search after writes folds them in (a bulk load pays once,
   * at its first search). LanceDB scores rows not yet in its full-text index with other statistics:
   * a word's document count counts its occurrences there, and a table whose index holds no row yet
   * takes the filter's rows as the collection, so a word a new note repeats scores less, or nothing
   * (a one-note workspace did not find the note by its own words). In a small index that moves a
   * fresh note's score by a large share; in a big one by little, and the background maintenance
   * folds the rows within SETTLE_MS.
   */
  private foldWhileSmall(table: Table): Promise<void> {
    let run = this.folding.get(table);
    if (!run) {
      this.unfolded.delete(table); // writes from here on wait for the next search's fold
      run = this.fold(table).finally(() => this.folding.delete(table));
      this.folding.set(table, run);
    }
    return run;
  }

  private async fold(table: Table): Promise<void> {
    const text = (await table.listIndices()).find((index) => index.columns[0] === 'content');
    if ((text?.numIndexedRows ?? 0) >= FOLD_AT_ONCE_ROWS) this.textIndexGrown.add(table);
    else await retryingConflicts(() => table.optimize({ cleanupOlderThan: KEEP_OLD_VERSIONS_SINCE() }), table);
  }

  /** Notes, before the write, that a table is to hold a row expiring at `expiresAt` (noExpiryBefore). */
  private expiring(table: Table, expiresAt: number | undefined): void {
    const before = this.noExpiryBefore.get(table);
    if (expiresAt !== undefined && before !== undefined && expiresAt < before) this.noExpiryBefore.set(table, expiresAt);
  }

  /** Reads the earliest expiry of a table's rows (noExpiryBefore); only where no write to it is in flight. */
  private async readExpiries(table: Table): Promise<void> {
    let earliest = Number.POSITIVE_INFINITY;
    for await (const batch of table.query().where('expires_at IS NOT NULL').select(['expires_at'])) {
      const column = batch.getChild('expires_at');
      for (const value of column?.toArray() ?? []) if (value < earliest) earliest = value;
    }
    this.noExpiryBefore.set(table, earliest);
  }

  /** Notes a write to a table whose full-text index may still be small (foldWhileSmall). */
  private wroteTo(table: Table): void {
    if (!this.textIndexGrown.has(table)) this.unfolded.add(table);
  }

  async deleteItem(itemId: string): Promise<void> {
    await this.access.together(async () => {
      for (const table of await this.openTables()) await retryingConflicts(() => table.delete(`item_id = ${sqlString(itemId)}`), table);
    });
    this.wrote(0);
  }

  async moveItem(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): Promise<void> {
    const values = {
      scope: sqlString(to.scope),
      scope_id: sqlString(to.scopeId),
      path: sqlString(to.path),
      expires_at: to.expiresAt === undefined ? 'NULL' : String(to.expiresAt),
    };
    await this.access.together(async () => {
      for (const table of await this.openTables()) {
        this.expiring(table, to.expiresAt);
        await retryingConflicts(() => table.update({ where: `item_id = ${sqlString(itemId)}`, valuesSql: values }), table);
        this.wroteTo(table); // updated rows are new rows to LanceDB
      }
    });
    this.wrote(0);
  }

  async search(query: SearchQuery): Promise<Candidate[]> {
    return this.access.together(() => this.candidates(query));
  }

  private async candidates(query: SearchQuery): Promise<Candidate[]> {
    const table = await this.table(query.vector.length, false);
    if (!table) return [];
    await (this.unfolded.has(table) ? this.foldWhileSmall(table) : this.folding.get(table));
    const now = Math.floor(query.now);
    const filter =
      `tenant = ${sqlString(query.tenant)} AND scope = ${sqlString(query.scope)} AND scope_id = ${sqlString(query.scopeId)}` +
      ((this.noExpiryBefore.get(table) ?? Number.NEGATIVE_INFINITY) > now ? '' : ` AND (expires_at IS NULL OR expires_at > ${now})`);
    // the sentence vectors of a table made before them are searched once every row has its own
    const sentence = this.sentenceReady.has(table) ? query.sentence : undefined;
    const nearest = sentence
      ? table
          .query()
          .nearestTo(sentence)
          .column('sentence')
          .minimumNprobes(SENTENCE_MIN_PROBES)
          .select([...RESULT_COLUMNS, 'vector', '_distance']) // the cosine is the one of the embedder's vectors
      : table
          .query()
          .nearestTo(query.vector)
          .column('vector')
          .minimumNprobes(MIN_PROBES)
          .refineFactor(REFINE_FACTOR)
          .select([...RESULT_COLUMNS, '_distance']); // the cosine comes with the row: no vector to carry
    const [near, lexical] = await Promise.all([
      nearest.maximumNprobes(MAX_PROBES).distanceType('cosine').where(filter).limit(query.candidates).toArrow(),
      this.fullText(table, query.text, filter, query.candidates),
    ]);
    const byRow = new Map<string, Candidate>();
    for (const row of resultRows(near, '_distance')) {
      byRow.set(`${row.item_id}:${row.chunk}`, {
        itemId: row.item_id,
        path: row.path,
        content: row.content,
        cosine: sentence ? dot(query.vector, row.vector as Float32Array) : 1 - row.score,
        bm25: 0,
        features: row.features ?? undefined,
      });
    }
    for (const row of lexical) {
      const key = `${row.item_id}:${row.chunk}`;
      const known = byRow.get(key);
      if (known) known.bm25 = row.score;
      else
        byRow.set(key, {
          itemId: row.item_id,
          path: row.path,
          content: row.content,
          cosine: dot(query.vector, row.vector as Float32Array),
          bm25: row.score,
          features: row.features ?? undefined,
        });
    }
    return [...byRow.values()];
  }

  /**
   * Gives the rows of the table of `fill.vectors`-sized vectors that have no sentence vector the one
   * `fill.sentenceOf` computes of them (a table made before sentence vectors: an upgraded index),
   * adding the column first; from then on, queries that bring a sentence vector search that table
   * by it (until then by `vector`, as before). Runs on the maintenance chain, beside queries and
   * writes (written rows bring their own); rows whose chunk has none (no known word) stay without.
   */
  fillSentences(fill: SentenceFill): Promise<void> {
    const run = this.maintenance.then(async () => {
      const table = await this.table(fill.vectors, false);
      if (!table || this.sentenceReady.has(table)) return;
      await this.access.together(() => this.fill(table, fill));
      this.sentenceReady.add(table);
      this.wrote(0); // the vector index moves to the sentence vectors
    });
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  private async fill(table: Table, { sentences, sentenceOf }: SentenceFill): Promise<void> {
    await this.schemaOf(table, sentences);
    const keys = new Schema([new Field('item_id', new Utf8(), false), new Field('chunk', new Int32(), false), sentenceField(sentences)]);
    const pending: { item_id: string; chunk: number; sentence: Float32Array }[] = [];
    const flush = async () => {
      if (!pending.length) return;
      const columns = { item_id: pending.map((row) => row.item_id), chunk: pending.map((row) => row.chunk) };
      const batch = makeBatch(keys, pending.length, (field) =>
        field.name === 'sentence'
          ? vectorData(
              field,
              pending.map((row) => row.sentence),
            )
          : vectorFromArray(columns[field.name as keyof typeof columns], field.type).data[0],
      );
      // only rows still there are updated: one deleted meanwhile is not brought back
      await retryingConflicts(() => table.mergeInsert(['item_id', 'chunk']).whenMatchedUpdateAll().execute(batch), table);
      pending.length = 0;
    };
    const rows = table.query().where('sentence IS NULL').select(['item_id', 'chunk', 'path', 'content', 'features']);
    for await (const batch of rows) {
      for (const row of batch.toArray() as unknown as Pick<ChunkRow, 'item_id' | 'chunk' | 'path' | 'content' | 'features'>[]) {
        const sentence = await sentenceOf({ path: row.path, content: row.content, features: row.features ?? undefined });
        if (sentence) pending.push({ item_id: row.item_id, chunk: row.chunk, sentence });
      }
      if (pending.length >= FILL_BATCH_ROWS) await flush();
    }
    await flush();
    logger.info('search index: sentence vectors filled in', { table: table.name });
  }

  /** The table's schema, with the sentence column added first when `sentenceDimension` is given and it lacks it. */
  private schemaOf(table: Table, sentenceDimension?: number): Promise<Schema> {
    let known = this.schemas.get(table) ?? table.schema();
    if (sentenceDimension)
      known = known.then(async (current) => {
        if (current.fields.some((field) => field.name === 'sentence')) return current;
        await retryingConflicts(() => table.addColumns(sentenceField(sentenceDimension)), table);
        return table.schema();
      });
    known = known.catch((error: unknown) => {
      this.schemas.delete(table);
      throw error;
    });
    this.schemas.set(table, known);
    return known;
  }

  /**
   * Waits for maintenance in progress or asked for, then closes the connection. Writes still
   * waiting to settle are folded in by the next process that opens the index.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.settleTimer);
    await this.maintenance;
    this.db.close();
  }

  /** Runs the maintenance that writes waiting to settle would start, and waits for every run (benchmarks: a settled index). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.settleTimer) this.runBackground();
      if (!this.background) break;
      await this.background; // its end may arm the timer for writes that came meanwhile
    }
    await this.maintenance;
  }

  /**
   * No maintenance runs, is due or waits for writes to settle (benchmarks: the moment the indexes
   * are built, observed without starting the maintenance sooner as settle() does).
   */
  get idle(): boolean {
    return !this.settleTimer && !this.background && !this.pendingWrites && !this.settledRunDue;
  }

  /**
   * Compacts, brings the indexes up to date and creates the ones that pay now. Every run, background
   * or asked for, queues on one chain: a run never overlaps another, and the one asked for starts
   * after the background run in progress, so it folds in every row written before the call.
   */
  maintain(): Promise<void> {
    return this.enqueue(true);
  }

  private enqueue(settled: boolean): Promise<void> {
    const run = this.maintenance.then(() => this.compact(settled));
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /**
   * Compaction, index updates and index builds take seconds on a big table, so they run beside
   * queries and writes (a commit they preempt, or that preempts them, is retried). Only the clean-up
   * of older versions runs alone, because it removes files a running query or write may still read.
   * A run during a load (not `settled`) only folds new rows into the existing indexes.
   *
   * A settled run compacts twice before the clean-up: the first compaction keeps the rows it then
   * indexes out of the bins of older rows, so the next optimize merges them (every row rewritten, a
   * vector index remapped). Left to the clean-up, that merge ran alone: the first write after a
   * vector index build held every search for it (1.2-1.3 s in the runtime at 10,000 chunks); the second compaction
   * does it beside them, and the clean-up finds nothing left to compact.
   *
   * A vector index due is built last, after the clean-up: every LanceDB optimize (the clean-up too)
   * rewrites the newest vector index, merging it with the rows written since, even when there are
   * none (nearly a build's time each; at 100,000 chunks ~13 s), so an index built before them was
   * written three times. The second compaction also means the index is built on the table as it
   * stays. The next run's optimize (shared, after more writes) is the first to rewrite it.
   */
  private async compact(settled: boolean): Promise<void> {
    for (const table of await this.openTables()) {
      const optimize = () =>
        this.access.together(() => retryingConflicts(() => table.optimize({ cleanupOlderThan: KEEP_OLD_VERSIONS_SINCE() }), table));
      await optimize();
      if (!settled) continue;
      await this.access.together(() => this.indexFilterColumns(table));
      const build = await this.access.together(() => this.vectorIndexDue(table));
      await optimize();
      await this.access.alone(async () => {
        await retryingConflicts(() => table.optimize({ cleanupOlderThan: new Date() }), table);
        await this.readExpiries(table); // rows deleted since (expired items) may leave a later earliest expiry
      });
      if (build) await this.access.together(build);
    }
  }

  /** Bitmap indexes of the partition columns, for tables made before they were created with the table. */
  private async indexFilterColumns(table: Table): Promise<void> {
    const indexed = new Set((await table.listIndices()).map((index) => index.columns[0]));
    for (const column of FILTER_COLUMNS.filter((c) => !indexed.has(c)))
      await retryingConflicts(() => table.createIndex(column, { config: Index.bitmap() }), table);
  }

  /**
   * The vector index build due on a table, undefined when none is: the index is created once the
   * table has VECTOR_INDEX_MIN_ROWS rows, and rebuilt (one graph set again, instead of delta
   * segments) when the table has grown REBUILD_GROWTH times, or SEGMENTS_REBUILD_GROWTH times with
   * more than MAX_SEGMENTS segments.
   */
  private async vectorIndexDue(table: Table): Promise<(() => Promise<void>) | undefined> {
    const rows = await table.countRows();
    if (rows < VECTOR_INDEX_MIN_ROWS) return undefined;
    const column = await this.indexedColumn(table);
    const indices = await table.listIndices();
    const current = indices.find((index) => index.columns[0] === column);
    const prefix = column === 'vector' ? VECTOR_INDEX_NAME : SENTENCE_INDEX_NAME;
    const builtOn = current?.name.startsWith(prefix) ? Number(current.name.slice(prefix.length)) : 0;
    const growth = (current?.numSegments ?? 0) > MAX_SEGMENTS ? SEGMENTS_REBUILD_GROWTH : REBUILD_GROWTH;
    if (builtOn * growth > rows) return undefined;
    return async () => {
      const config = Index.hnswSq({
        distanceType: 'cosine',
        numPartitions: partitionsFor(rows),
        efConstruction: EF_CONSTRUCTION,
        m: GRAPH_DEGREE,
      });
      await retryingConflicts(() => table.createIndex(column, { config, name: `${prefix}${rows}`, replace: true }), table);
      if (current) await retryingConflicts(() => table.dropIndex(current.name), table);
      // the index of `vector` a table served by its sentence vectors had before: no query reads it any more
      const replaced = column === 'sentence' && indices.find((index) => index.columns[0] === 'vector');
      if (replaced) await retryingConflicts(() => table.dropIndex(replaced.name), table);
    };
  }

  /**
   * The column a table's vector index is on: its sentence vectors once it has them (its chunks come
   * from the offline embedder; rows still without, of a table made before, get theirs by
   * fillSentences), else `vector`.
   */
  private async indexedColumn(table: Table): Promise<'vector' | 'sentence'> {
    return (await this.schemaOf(table)).fields.some((field) => field.name === 'sentence') ? 'sentence' : 'vector';
  }

  private async fullText(table: Table, text: string, filter: string, limit: number): Promise<ResultRow[]> {
    return resultRows(
      await table
        .query()
        .fullTextSearch(text, { columns: ['content'] })
        .where(filter)
        .select([...RESULT_COLUMNS, 'vector', '_score'])
        .limit(limit)
        .toArrow(),
      '_score',
    );
  }

  private wrote(rows: number): void {
    this.lastWriteAt = Date.now();
    this.pendingWrites++;
    this.pendingRows += rows;
    this.schedule();
  }

  /** Arms the settle timer, or starts a run at once when a load has gone on past BULK_ROWS/BULK_WRITES (see SETTLE_MS). */
  private schedule(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    if (this.background || this.closed || !(this.pendingWrites || this.settledRunDue)) return;
    if (this.pendingRows >= BULK_ROWS || this.pendingWrites >= BULK_WRITES) this.runBackground(false);
    else {
      this.settleTimer = setTimeout(() => this.runBackground(), quietLeft(this.lastWriteAt, Date.now()));
      this.settleTimer.unref();
    }
  }

  private runBackground(settled = true): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.pendingWrites = 0;
    this.pendingRows = 0;
    this.settledRunDue = !settled;
    this.background = this.enqueue(settled)
      .catch((error: Error) => logger.warn('search index maintenance failed', { error }))
      .finally(() => {
        this.background = undefined;
        this.schedule(); // writes that came during the run
      });
  }

  private async openTables(): Promise<Table[]> {
    const names = (await this.db.tableNames()).filter((name) => /^chunks_\d+$/.test(name));
    return Promise.all(names.map((name) => this.table(Number(name.slice('chunks_'.length)), true)));
  }

  /** The table of `dimension`-sized vectors; created when `create`, else undefined when absent. */
  private table(dimension: number, create: true, sentenceDimension?: number): Promise<Table>;
  private table(dimension: number, create: false): Promise<Table | undefined>;
  private async table(dimension: number, create: boolean, sentenceDimension?: number): Promise<Table | undefined> {
    const cached = this.tables.get(dimension);
    if (cached) return cached;
    const name = `chunks_${dimension}`;
    const exists = (await this.db.tableNames()).includes(name);
    if (!exists && !create) return undefined;
    if (!this.tables.has(dimension)) {
      this.tables.set(dimension, exists ? this.openTable(name) : this.createTable(name, dimension, sentenceDimension));
    }
    return this.tables.get(dimension);
  }

  /**
   * An existing table; rows a previous process wrote but never folded into the indexes get their
   * maintenance, a table made before the features column gets it.
   */
  private async openTable(name: string): Promise<Table> {
    const table = await this.db.openTable(name);
    if (!(await table.schema()).fields.some((field) => field.name === FEATURES_FIELD.name))
      await retryingConflicts(() => table.addColumns(FEATURES_FIELD), table);
    if ((await table.listIndices()).some((index) => (index.numUnindexedRows ?? 0) > 0)) this.wrote(0);
    await this.readExpiries(table); // nothing writes to it before this resolves
    return table;
  }

  /**
   * A new table with its full-text index (LanceDB refuses a full-text search without one) and the
   * bitmap indexes of the partition columns.
   */
  private async createTable(name: string, dimension: number, sentenceDimension?: number): Promise<Table> {
    const table = await this.db.createEmptyTable(name, schema(dimension, sentenceDimension), { existOk: true });
    this.sentenceReady.add(table); // every row it will hold is written by this process, with its sentence vector
    this.noExpiryBefore.set(table, Number.POSITIVE_INFINITY); // existOk: another process may have made it meanwhile
    if (await table.countRows()) await this.readExpiries(table);
    const indexed = new Set((await table.listIndices()).map((index) => index.columns[0]));
    if (!indexed.has('content')) {
      await table.createIndex('content', { config: Index.fts({ stem: true, language: 'English', removeStopWords: true }) });
    }
    await this.indexFilterColumns(table);
    return table;
  }
}

const CONFLICT_ATTEMPTS = 6;
/** A clean-up horizon no version of a running process is older than: nothing is removed. */
const KEEP_OLD_VERSIONS_SINCE = () => new Date(Date.now() - 365 * 24 * 3600 * 1000);

/**
 * LanceDB commits optimistically: a write or compaction preempted by a concurrent commit (another
 * process on the same folder, or a compaction meeting a delete) fails with a "Retryable commit
 * conflict" and is meant to be run again; other errors pass through.
 */
export async function retryingConflicts<T>(work: () => Promise<T>, table?: Table): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= CONFLICT_ATTEMPTS || !/Retryable commit conflict/i.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (0.5 + Math.random())));
      await table?.checkoutLatest();
    }
  }
}

/** An item's chunks as one Arrow batch of the table's schema, the vectors in one buffer (vectorData). */
function chunkBatch(item: IndexedItem, chunks: IndexedChunk[], rowSchema: Schema): ArrowTable {
  const repeat = <T>(value: T) => chunks.map(() => value);
  const columns: Record<string, unknown[]> = {
    item_id: repeat(item.itemId),
    tenant: repeat(item.tenant),
    scope: repeat(item.scope),
    scope_id: repeat(item.scopeId),
    path: repeat(item.path),
    chunk: chunks.map((_, i) => i),
    content: chunks.map((chunk) => chunk.content),
    expires_at: repeat(item.expiresAt ?? null),
    features: chunks.map((chunk) => chunk.features ?? null),
  };
  return makeBatch(rowSchema, chunks.length, (field) =>
    field.name === 'vector' || field.name === 'sentence'
      ? vectorData(field, field.name === 'vector' ? chunks.map((chunk) => chunk.vector) : chunks.map((chunk) => chunk.sentence))
      : vectorFromArray(columns[field.name], field.type).data[0],
  );
}

/**
 * A column of fixed-size vectors in one buffer (null where a row has none: its slots stay zero, as
 * Arrow wants them there); LanceDB's conversion of row objects cost ~7x more than the write itself
 * (34 vs 5 ms for 125 chunks of 1,024 dimensions).
 */
function vectorData(field: Field, rows: (Float32Array | undefined)[]): Data {
  const type = field.type as FixedSizeList<Float32>;
  const values = new Float32Array(rows.length * type.listSize);
  const valid = new Uint8Array(Math.ceil(rows.length / 8));
  let nullCount = 0;
  for (const [i, row] of rows.entries()) {
    if (row) {
      values.set(row, i * type.listSize);
      valid[i >> 3] |= 1 << (i & 7);
    } else nullCount++;
  }
  return makeData({
    type,
    length: rows.length,
    nullCount,
    nullBitmap: nullCount ? valid : undefined,
    child: makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values }),
  });
}

/** `length` rows of `rowSchema` as one Arrow batch, each column's data made by `column`. */
function makeBatch(rowSchema: Schema, length: number, column: (field: Field) => Data): ArrowTable {
  const rows = makeData({ type: new Struct(rowSchema.fields), length, nullCount: 0, children: rowSchema.fields.map(column) });
  return new ArrowTable(rowSchema, new RecordBatch(rowSchema, rows));
}

/**
 * A query's answer as plain rows, read column by column: the same values as its `toArray()` rows, whose
 * per-field proxies cost ~1 ms of CPU per 10,000-chunk search (docs/benchmarks.md, session 8 runtime latency).
 */
function resultRows(answer: ArrowTable, score: '_distance' | '_score'): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const batch of answer.batches) {
    const column = (name: string) => batch.getChild(name);
    const [itemIds, chunks, paths, contents, features, scores] = ['item_id', 'chunk', 'path', 'content', 'features', score].map(column);
    const vectors = column('vector');
    for (let i = 0; i < batch.numRows; i++) {
      rows.push({
        item_id: itemIds?.get(i),
        chunk: chunks?.get(i),
        path: paths?.get(i),
        content: contents?.get(i),
        features: features?.get(i) ?? null,
        vector: vectors?.get(i)?.toArray(),
        score: scores?.get(i),
      });
    }
  }
  return rows;
}

function dot(a: Float32Array, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

const opened = new Map<string, Promise<LocalVectorIndex>>();

/** The index persisted under `<home>/search-index`, one instance per home and process. */
export function openLocalVectorIndex(home: string): Promise<LocalVectorIndex> {
  const dir = join(home, 'search-index');
  let index = opened.get(dir);
  if (!index) {
    index = LocalVectorIndex.open(dir);
    opened.set(dir, index);
  }
  return index;
}
