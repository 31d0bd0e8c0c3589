import { join } from 'node:path';
import { connect, Index, type Connection, type Table } from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import { logger } from '../../kit/observability';
import type { Candidate } from './port';
import type { IndexedChunk, IndexedItem, SearchQuery, VectorIndex } from './port';

/**
 * The search index of the local runtime on LanceDB (embedded, persisted under
 * `<home>/search-index/`): one table of chunks per vector dimension, a full-text (BM25) index
 * with English stemming and stop words on the content, a vector index (IVF-HNSW, cosine) once the
 * table is large enough for it to pay, and every query filtered by tenant, scope, scopeId and expiry.
 *
 * LanceDB searches rows not yet in an index exhaustively, so a write is searchable at once;
 * maintenance (compaction, index updates) runs in the background after enough writes.
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
}

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
export const partitionsFor = (rows: number): number => Math.max(1, Math.round(rows / ROWS_PER_PARTITION));
/** The index's name carries the rows it was built on, so maintenance knows when the table outgrew it. */
const VECTOR_INDEX_NAME = 'vector_hnsw_sq_rows_';
/** Rebuilt when the table has grown this much (new rows in between join the existing graphs). */
const REBUILD_GROWTH = 4;
/**
 * Partitions searched: at least MIN_PROBES; more, up to all, only while a narrow filter (a small
 * tenant/scope partition in a big table) has not yet found enough rows.
 */
const MIN_PROBES = 20;
const MAX_PROBES = 1_000_000;
const REFINE_FACTOR = 4;

/**
 * Rows written since the last maintenance that trigger the next one. Kept small: a full-text query
 * tokenises every row not yet in the index, so a long unindexed tail costs every search.
 */
const MAINTENANCE_ROWS = 1_000;
const MAINTENANCE_WRITES = 50;

/** A string literal of LanceDB's SQL filter language. */
export const sqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

const schema = (dimension: number) =>
  new Schema([
    new Field('item_id', new Utf8(), false),
    new Field('tenant', new Utf8(), false),
    new Field('scope', new Utf8(), false),
    new Field('scope_id', new Utf8(), false),
    new Field('path', new Utf8(), false),
    new Field('chunk', new Int32(), false),
    new Field('content', new Utf8(), false),
    new Field('expires_at', new Float64(), true),
    new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
  ]);

/** A row as a query returns it (the vector as an Arrow vector). */
type ResultRow = Pick<ChunkRow, 'item_id' | 'chunk' | 'path' | 'content'> & { vector: { toArray(): Float32Array } };

const RESULT_COLUMNS = ['item_id', 'chunk', 'path', 'content', 'vector'];

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
  private writesSinceMaintenance = 0;
  private rowsSinceMaintenance = 0;
  /** The tail of the maintenance chain (never rejects). */
  private maintenance: Promise<void> = Promise.resolve();
  private backgroundRunning = false;

  private constructor(private readonly db: Connection) {}

  static async open(dir: string): Promise<LocalVectorIndex> {
    return new LocalVectorIndex(await connect(dir));
  }

  async putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    if (chunks.length) await this.access.together(() => retryingConflicts(() => this.addRows(item, chunks)));
  }

  private async addRows(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    const table = await this.table(chunks[0].vector.length, true);
    const rows: ChunkRow[] = chunks.map((chunk, i) => ({
      item_id: item.itemId,
      tenant: item.tenant,
      scope: item.scope,
      scope_id: item.scopeId,
      path: item.path,
      chunk: i,
      content: chunk.content,
      expires_at: item.expiresAt ?? null,
      vector: chunk.vector,
    }));
    await table.add(rows as unknown as Record<string, unknown>[]); // Arrow takes typed arrays for vector columns
    this.wrote(rows.length);
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
      for (const table of await this.openTables())
        await retryingConflicts(() => table.update({ where: `item_id = ${sqlString(itemId)}`, valuesSql: values }), table);
    });
    this.wrote(0);
  }

  async search(query: SearchQuery): Promise<Candidate[]> {
    return this.access.together(() => this.candidates(query));
  }

  private async candidates(query: SearchQuery): Promise<Candidate[]> {
    const table = await this.table(query.vector.length, false);
    if (!table) return [];
    const filter =
      `tenant = ${sqlString(query.tenant)} AND scope = ${sqlString(query.scope)} AND scope_id = ${sqlString(query.scopeId)}` +
      ` AND (expires_at IS NULL OR expires_at > ${Math.floor(query.now)})`;
    const [nearest, lexical] = await Promise.all([
      table
        .query()
        .nearestTo(query.vector)
        .distanceType('cosine')
        .minimumNprobes(MIN_PROBES)
        .maximumNprobes(MAX_PROBES)
        .refineFactor(REFINE_FACTOR)
        .where(filter)
        .select([...RESULT_COLUMNS, '_distance'])
        .limit(query.candidates)
        .toArray(),
      this.fullText(table, query.text, filter, query.candidates),
    ]);
    const byRow = new Map<string, Candidate>();
    for (const row of nearest) {
      byRow.set(`${row.item_id}:${row.chunk}`, {
        itemId: row.item_id,
        path: row.path,
        content: row.content,
        cosine: 1 - row._distance,
        bm25: 0,
      });
    }
    for (const row of lexical) {
      const key = `${row.item_id}:${row.chunk}`;
      const known = byRow.get(key);
      if (known) known.bm25 = row._score;
      else
        byRow.set(key, {
          itemId: row.item_id,
          path: row.path,
          content: row.content,
          cosine: dot(query.vector, row.vector.toArray()),
          bm25: row._score,
        });
    }
    return [...byRow.values()];
  }

  /** Waits for maintenance (background or asked for), then closes the connection. */
  async close(): Promise<void> {
    await this.maintenance;
    this.db.close();
  }

  /**
   * Compacts, brings the indexes up to date and creates the ones that pay now. Every run, background
   * or asked for, queues on one chain: a run never overlaps another, and the one asked for starts
   * after the background run in progress, so it folds in every row written before the call.
   */
  maintain(): Promise<void> {
    const run = this.maintenance.then(() => this.compact());
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /**
   * Compaction, index updates and index builds take seconds on a big table, so they run beside
   * queries and writes (a commit they preempt, or that preempts them, is retried). Only the clean-up
   * of older versions runs alone, because it removes files a running query or write may still read;
   * by then there is little left to compact, so the exclusive part is short.
   */
  private async compact(): Promise<void> {
    for (const table of await this.openTables()) {
      await this.access.together(() => retryingConflicts(() => table.optimize({ cleanupOlderThan: KEEP_OLD_VERSIONS_SINCE() }), table));
      await this.access.together(() => this.indexVectors(table));
      await this.access.alone(() => retryingConflicts(() => table.optimize({ cleanupOlderThan: new Date() }), table));
    }
  }

  /** Creates the vector index once the table has VECTOR_INDEX_MIN_ROWS rows, and rebuilds it when rows have grown REBUILD_GROWTH times. */
  private async indexVectors(table: Table): Promise<void> {
    const rows = await table.countRows();
    if (rows < VECTOR_INDEX_MIN_ROWS) return;
    const current = (await table.listIndices()).find((index) => index.columns[0] === 'vector');
    const builtOn = current?.name.startsWith(VECTOR_INDEX_NAME) ? Number(current.name.slice(VECTOR_INDEX_NAME.length)) : 0;
    if (builtOn * REBUILD_GROWTH > rows) return;
    const name = `${VECTOR_INDEX_NAME}${rows}`;
    const config = Index.hnswSq({ distanceType: 'cosine', numPartitions: partitionsFor(rows) });
    await retryingConflicts(() => table.createIndex('vector', { config, name, replace: true }), table);
    if (current) await retryingConflicts(() => table.dropIndex(current.name), table);
  }

  private async fullText(table: Table, text: string, filter: string, limit: number): Promise<(ResultRow & { _score: number })[]> {
    return (await table
      .query()
      .fullTextSearch(text, { columns: ['content'] })
      .where(filter)
      .select([...RESULT_COLUMNS, '_score'])
      .limit(limit)
      .toArray()) as never;
  }

  private wrote(rows: number): void {
    this.writesSinceMaintenance++;
    this.rowsSinceMaintenance += rows;
    if (this.backgroundRunning || (this.writesSinceMaintenance < MAINTENANCE_WRITES && this.rowsSinceMaintenance < MAINTENANCE_ROWS))
      return;
    this.writesSinceMaintenance = 0;
    this.rowsSinceMaintenance = 0;
    this.backgroundRunning = true;
    this.maintain()
      .catch((error: Error) => logger.warn('search index maintenance failed', { error }))
      .finally(() => (this.backgroundRunning = false));
  }

  private async openTables(): Promise<Table[]> {
    const names = (await this.db.tableNames()).filter((name) => /^chunks_\d+$/.test(name));
    return Promise.all(names.map((name) => this.table(Number(name.slice('chunks_'.length)), true)));
  }

  /** The table of `dimension`-sized vectors; created when `create`, else undefined when absent. */
  private table(dimension: number, create: true): Promise<Table>;
  private table(dimension: number, create: false): Promise<Table | undefined>;
  private async table(dimension: number, create: boolean): Promise<Table | undefined> {
    const cached = this.tables.get(dimension);
    if (cached) return cached;
    const name = `chunks_${dimension}`;
    const exists = (await this.db.tableNames()).includes(name);
    if (!exists && !create) return undefined;
    if (!this.tables.has(dimension)) {
      this.tables.set(dimension, exists ? this.db.openTable(name) : this.createTable(name, dimension));
    }
    return this.tables.get(dimension);
  }

  /** A new table with its full-text index (LanceDB refuses a full-text search without one). */
  private async createTable(name: string, dimension: number): Promise<Table> {
    const table = await this.db.createEmptyTable(name, schema(dimension), { existOk: true });
    if (!(await table.listIndices()).some((index) => index.columns[0] === 'content')) {
      await table.createIndex('content', { config: Index.fts({ stem: true, language: 'English', removeStopWords: true }) });
    }
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
