import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { byScoreThenPath, scoreOf, type IndexedChunk, type IndexedItem, type VectorHit, type VectorIndex, type VectorQuery } from './vector-index';

/**
 * The embedded vector index of the local runtime: exact search over contiguous Float32 storage,
 * one partition per tenant + scope + scopeId (a query only scans its own partition).
 *
 * Storage is column-major (all values of dimension j side by side), so a query multiplies only
 * its non-zero dimensions over sequential memory: a lexical query touches a few dozen of the
 * 1,024 columns. Persisted as an append-only journal under `<home>/vector-index/`, replayed at
 * start and compacted when most of it is garbage. One process per home.
 */

interface ItemRecord extends IndexedItem {
  partition: Partition;
  /** Rows of this item in its partition (kept up to date when rows are swapped on removal). */
  rows: number[];
}

class Partition {
  private capacity = 0;
  size = 0;
  private data = new Float32Array(0);
  private readonly rowItem: ItemRecord[] = [];
  private readonly rowContent: string[] = [];

  constructor(private readonly dim: number) {}

  add(item: ItemRecord, content: string, vector: Float32Array): void {
    if (this.size === this.capacity) this.grow(Math.max(16, this.capacity * 2));
    const { dim, capacity, data, size } = this;
    for (let j = 0; j < dim; j++) data[j * capacity + size] = vector[j];
    this.rowItem[size] = item;
    this.rowContent[size] = content;
    item.rows.push(size);
    this.size++;
  }

  /** Removes one row by moving the last row into its place. */
  remove(row: number): void {
    const last = this.size - 1;
    if (row !== last) {
      const { dim, capacity, data } = this;
      for (let j = 0; j < dim; j++) data[j * capacity + row] = data[j * capacity + last];
      const moved = this.rowItem[last];
      moved.rows[moved.rows.indexOf(last)] = row;
      this.rowItem[row] = moved;
      this.rowContent[row] = this.rowContent[last];
    }
    this.rowItem.length = last;
    this.rowContent.length = last;
    this.size = last;
  }

  vector(row: number): Float32Array {
    const out = new Float32Array(this.dim);
    for (let j = 0; j < this.dim; j++) out[j] = this.data[j * this.capacity + row];
    return out;
  }

  content(row: number): string {
    return this.rowContent[row];
  }

  /** Best row per item with cosine >= minCosine, items not expired at `now`. */
  search(query: Float32Array, minCosine: number, now: number): Map<ItemRecord, { row: number; cosine: number }> {
    const { size, capacity, data } = this;
    const scores = new Float32Array(size);
    for (let j = 0; j < this.dim; j++) {
      const q = query[j];
      if (q === 0) continue;
      const base = j * capacity;
      for (let i = 0; i < size; i++) scores[i] += q * data[base + i];
    }
    const best = new Map<ItemRecord, { row: number; cosine: number }>();
    for (let i = 0; i < size; i++) {
      const cosine = scores[i];
      if (cosine < minCosine) continue;
      const item = this.rowItem[i];
      if (item.expiresAt !== undefined && item.expiresAt <= now) continue;
      const previous = best.get(item);
      if (!previous || cosine > previous.cosine) best.set(item, { row: i, cosine });
    }
    return best;
  }

  private grow(capacity: number): void {
    const next = new Float32Array(this.dim * capacity);
    for (let j = 0; j < this.dim; j++) next.set(this.data.subarray(j * this.capacity, j * this.capacity + this.size), j * capacity);
    this.data = next;
    this.capacity = capacity;
  }
}

type JournalOp =
  | { op: 'put'; item: IndexedItem; contents: string[]; dim: number }
  | { op: 'del'; itemId: string }
  | { op: 'move'; itemId: string; to: Omit<IndexedItem, 'itemId' | 'tenant'> };

const partitionKey = (item: { tenant: string; scope: string; scopeId: string }) => `${item.tenant}\u0000${item.scope}\u0000${item.scopeId}`;

export class LocalVectorIndex implements VectorIndex {
  private readonly partitions = new Map<string, Partition>();
  private readonly items = new Map<string, ItemRecord>();
  private dim: number | undefined;
  private fd: number | undefined;
  private liveRows = 0;
  /** Rows written to the journal since it was last compacted. */
  private journalRows = 0;

  /** `dir` undefined: in memory only (benchmarks). */
  constructor(private readonly dir?: string) {}

  get chunkCount(): number {
    return this.liveRows;
  }

  open(): this {
    if (!this.dir) return this;
    mkdirSync(this.dir, { recursive: true });
    const file = this.journalFile;
    if (existsSync(file)) this.replay(file);
    this.fd = openSync(file, 'a');
    this.compactIfWasteful();
    return this;
  }

  async putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    if (!chunks.length) return;
    const dim = this.checkDimension(chunks[0].vector.length);
    this.applyPut(item, chunks);
    const vectors = Buffer.alloc(chunks.length * dim * 4);
    chunks.forEach((c, i) => Buffer.from(c.vector.buffer, c.vector.byteOffset, dim * 4).copy(vectors, i * dim * 4));
    this.append({ op: 'put', item: plainItem(item), contents: chunks.map((c) => c.content), dim }, vectors);
    this.journalRows += chunks.length;
  }

  async deleteItem(itemId: string): Promise<void> {
    if (!this.items.has(itemId)) return;
    this.applyDelete(itemId);
    this.append({ op: 'del', itemId });
    this.compactIfWasteful();
  }

  async moveItem(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): Promise<void> {
    if (!this.items.has(itemId)) return;
    this.applyMove(itemId, to);
    this.append({ op: 'move', itemId, to });
  }

  async search(query: VectorQuery): Promise<VectorHit[]> {
    const partition = this.partitions.get(partitionKey(query));
    if (!partition || partition.size === 0) return [];
    this.checkDimension(query.vector.length);
    const best = partition.search(query.vector, 2 * query.minScore - 1, query.now);
    const hits: VectorHit[] = [];
    for (const [item, { row, cosine }] of best) {
      const score = Math.min(1, Math.max(0, scoreOf(cosine)));
      if (score >= query.minScore) hits.push({ itemId: item.itemId, path: item.path, content: partition.content(row), score });
    }
    return hits.sort(byScoreThenPath).slice(0, query.limit);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private get journalFile(): string {
    return join(this.dir as string, 'journal.bin');
  }

  private checkDimension(dim: number): number {
    this.dim ??= dim;
    if (dim !== this.dim) {
      throw new Error(
        `The local vector index holds ${this.dim}-dimensional vectors but got ${dim}: the embedder or EMBEDDING_DIMENSION changed. ` +
          `Remove ${this.dir ?? 'the index'} to rebuild it (items added before must be re-added to be searchable).`,
      );
    }
    return dim;
  }

  private applyPut(item: IndexedItem, chunks: IndexedChunk[]): void {
    if (this.items.has(item.itemId)) this.applyDelete(item.itemId);
    const key = partitionKey(item);
    let partition = this.partitions.get(key);
    if (!partition) this.partitions.set(key, (partition = new Partition(this.dim as number)));
    const record: ItemRecord = { ...plainItem(item), partition, rows: [] };
    for (const chunk of chunks) partition.add(record, chunk.content, chunk.vector);
    this.items.set(item.itemId, record);
    this.liveRows += chunks.length;
  }

  private applyDelete(itemId: string): void {
    const record = this.items.get(itemId);
    if (!record) return;
    // highest row first: the row swapped into a hole never belongs to this item then
    for (const row of [...record.rows].sort((a, b) => b - a)) record.partition.remove(row);
    this.liveRows -= record.rows.length;
    this.items.delete(itemId);
  }

  private applyMove(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): void {
    const record = this.items.get(itemId);
    if (!record) return;
    const target = { tenant: record.tenant, ...to, itemId };
    if (partitionKey(target) === partitionKey(record)) {
      record.path = to.path;
      record.expiresAt = to.expiresAt;
      return;
    }
    const chunks = record.rows.map((row) => ({ content: record.partition.content(row), vector: record.partition.vector(row) }));
    this.applyPut(target, chunks); // replaces the record: deletes the old rows first
  }

  private append(op: JournalOp, vectors: Buffer = Buffer.alloc(0)): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, encodeRecord(op, vectors));
  }

  private replay(file: string): void {
    const bytes = readFileSync(file);
    let offset = 0;
    while (offset + 8 <= bytes.length) {
      const headerLength = bytes.readUInt32LE(offset);
      const vectorLength = bytes.readUInt32LE(offset + 4);
      const end = offset + 8 + headerLength + vectorLength;
      if (end > bytes.length) break;
      const op = JSON.parse(bytes.toString('utf8', offset + 8, offset + 8 + headerLength)) as JournalOp;
      if (op.op === 'put') {
        this.checkDimension(op.dim);
        const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset + 8 + headerLength, bytes.byteOffset + end));
        const chunks = op.contents.map((content, i) => ({ content, vector: floats.subarray(i * op.dim, (i + 1) * op.dim) }));
        this.applyPut(op.item, chunks);
        this.journalRows += chunks.length;
      } else if (op.op === 'del') this.applyDelete(op.itemId);
      else this.applyMove(op.itemId, op.to);
      offset = end;
    }
    if (offset < bytes.length) {
      // a torn last record (crash mid-write): drop it
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, offset);
      closeSync(fd);
    }
  }

  /** Rewrites the journal as one put per live item when most of it describes dead rows. */
  private compactIfWasteful(): void {
    if (!this.dir || this.journalRows <= 2 * this.liveRows + 10_000) return;
    const temporary = `${this.journalFile}.compacting`;
    const fd = openSync(temporary, 'w');
    try {
      for (const record of this.items.values()) {
        const dim = this.dim as number;
        const vectors = Buffer.alloc(record.rows.length * dim * 4);
        record.rows.forEach((row, i) => {
          const v = record.partition.vector(row);
          Buffer.from(v.buffer, v.byteOffset, dim * 4).copy(vectors, i * dim * 4);
        });
        const contents = record.rows.map((row) => record.partition.content(row));
        writeSync(fd, encodeRecord({ op: 'put', item: plainItem(record), contents, dim }, vectors));
      }
    } finally {
      closeSync(fd);
    }
    this.close();
    renameSync(temporary, this.journalFile);
    this.fd = openSync(this.journalFile, 'a');
    this.journalRows = this.liveRows;
  }
}

function plainItem(item: IndexedItem): IndexedItem {
  return { itemId: item.itemId, tenant: item.tenant, scope: item.scope, scopeId: item.scopeId, path: item.path, expiresAt: item.expiresAt };
}

function encodeRecord(op: JournalOp, vectors: Buffer): Buffer {
  const header = Buffer.from(JSON.stringify(op), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(header.length, 0);
  prefix.writeUInt32LE(vectors.length, 4);
  return Buffer.concat([prefix, header, vectors]);
}

const opened = new Map<string, LocalVectorIndex>();

/** The index persisted under `<home>/vector-index`, one instance per home and process. */
export function openLocalVectorIndex(home: string): LocalVectorIndex {
  const dir = join(home, 'vector-index');
  let index = opened.get(dir);
  if (!index) opened.set(dir, (index = new LocalVectorIndex(dir).open()));
  return index;
}
