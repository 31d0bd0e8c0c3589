import { join } from 'node:path';
import { connect, Index, type Connection, type Table } from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import { logger } from '../kit/observability';
import type { Candidate } from './ranking';
import type { IndexedChunk, IndexedItem, SearchQuery, VectorIndex } from './vector-index';

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

/** Rows below which a vector index does not pay (an exhaustive scan of a partition is fast). */
export const VECTOR_INDEX_MIN_ROWS = 20_000;
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
  private maintenance: Promise<void> | undefined;

  private constructor(private readonly db: Connection) {}

  static async open(dir: string): Promise<LocalVectorIndex> {
    return new LocalVectorIndex(await connect(dir));
  }

  async putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    if (chunks.length) await this.access.together(() => this.addRows(item, chunks));
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
      for (const table of await this.openTables()) await table.delete(`item_id = ${sqlString(itemId)}`);
    });
    this.wrote(0);
  }

  async moveItem(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): Promise<void> {
    const values = { scope: sqlString(to.scope), scope_id: sqlString(to.scopeId), path: sqlString(to.path), expires_at: to.expiresAt === undefined ? 'NULL' : String(to.expiresAt) };
    await this.access.together(async () => {
      for (const table of await this.openTables()) await table.update({ where: `item_id = ${sqlString(itemId)}`, valuesSql: values });
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
      table.query().nearestTo(query.vector).distanceType('cosine').where(filter).select([...RESULT_COLUMNS, '_distance']).limit(query.candidates).toArray(),
      this.fullText(table, query.text, filter, query.candidates),
    ]);
    const byRow = new Map<string, Candidate>();
    for (const row of nearest) {
      byRow.set(`${row.item_id}:${row.chunk}`, { itemId: row.item_id, path: row.path, content: row.content, cosine: 1 - row._distance, bm25: 0 });
    }
    for (const row of lexical) {
      const key = `${row.item_id}:${row.chunk}`;
      const known = byRow.get(key);
      if (known) known.bm25 = row._score;
      else byRow.set(key, { itemId: row.item_id, path: row.path, content: row.content, cosine: dot(query.vector, row.vector.toArray()), bm25: row._score });
    }
    return [...byRow.values()];
  }

  /** Waits for background maintenance, then closes the connection. */
  async close(): Promise<void> {
    await this.maintenance;
    this.db.close();
  }

  /** Compacts, brings the indexes up to date and creates the ones that pay now (also run in the background). */
  async maintain(): Promise<void> {
    await this.access.alone(() => this.compact());
  }

  private async compact(): Promise<void> {
    for (const table of await this.openTables()) {
      await table.optimize({ cleanupOlderThan: new Date() });
      const indexed = (await table.listIndices()).some((index) => index.columns[0] === 'vector');
      if (!indexed && (await table.countRows()) >= VECTOR_INDEX_MIN_ROWS) {
        await table.createIndex('vector', { config: Index.hnswSq({ distanceType: 'cosine' }) });
      }
    }
  }

  private async fullText(table: Table, text: string, filter: string, limit: number): Promise<(ResultRow & { _score: number })[]> {
    return (await table.query().fullTextSearch(text, { columns: ['content'] }).where(filter).select([...RESULT_COLUMNS, '_score']).limit(limit).toArray()) as never;
  }

  private wrote(rows: number): void {
    this.writesSinceMaintenance++;
    this.rowsSinceMaintenance += rows;
    if (this.maintenance || (this.writesSinceMaintenance < MAINTENANCE_WRITES && this.rowsSinceMaintenance < MAINTENANCE_ROWS)) return;
    this.writesSinceMaintenance = 0;
    this.rowsSinceMaintenance = 0;
    this.maintenance = this.maintain()
      .catch((error: Error) => logger.warn('search index maintenance failed', { error }))
      .finally(() => (this.maintenance = undefined));
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
  if (!index) opened.set(dir, (index = LocalVectorIndex.open(dir)));
  return index;
}
