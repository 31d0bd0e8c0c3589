import { config } from '../../kit/config';
import { signedTransport, type SearchTransport } from './opensearch-transport';
import { VECTOR_FIELD, vectorIndexName } from './mapping';
import { openSearchError } from '../dependency-errors';
import type { Candidate } from './port';
import type { IndexedChunk, IndexedItem, SearchQuery, VectorIndex } from './port';

export type { SearchTransport };

/** Well under the 10 MiB request limit of the smallest instance types (and of OpenSearch Serverless). */
export const DEFAULT_BULK_MAX_BYTES = 4 * 1024 * 1024;
const VECTOR_CLAUSE = 'vector';
const LEXICAL_CLAUSE = 'lexical';

/** Chunks one item may have (content.ts indexes at most ~1,250); bounds the id lookups. */
const MAX_CHUNKS_PER_ITEM = 2000;

interface ChunkSource {
  itemId: string;
  tenant: string;
  scope: string;
  scopeId: string;
  path: string;
  chunk: number;
  content: string;
  expiresAt?: number;
  [VECTOR_FIELD]?: number[];
}

/**
 * The vector index on OpenSearch k-NN (lucene HNSW, cosinesimil; see vector-index-mapping.ts):
 * efficient filtering by tenant, scope, scopeId and expiry inside the k-NN query, then one hit per
 * item. On a managed domain documents have ids `<itemId>:<chunk>` and writes wait for a refresh;
 * OpenSearch Serverless assigns ids itself and refreshes on its own schedule (about a second).
 */
export class OpenSearchVectorIndex implements VectorIndex {
  constructor(
    private readonly transport: SearchTransport,
    private readonly index: string,
    private readonly serverless: boolean,
    /** Byte budget of one `_bulk` request body (OpenSearch refuses bodies over its http.max_content_length). */
    private readonly bulkMaxBytes = DEFAULT_BULK_MAX_BYTES,
  ) {}

  async putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    if (!chunks.length) return;
    await this.bulk(chunks.map((chunk, i) => this.indexAction(this.source(item, i, chunk.content, Array.from(chunk.vector)))));
  }

  async deleteItem(itemId: string): Promise<void> {
    const ids = (await this.chunksOf(itemId, false)).map((hit) => hit._id);
    if (ids.length) await this.bulk(ids.map((_id) => [{ delete: { _index: this.index, _id } }]));
  }

  async moveItem(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): Promise<void> {
    const hits = await this.chunksOf(itemId, true);
    if (!hits.length) return;
    const actions = hits.map((hit) => {
      const { expiresAt: _old, ...kept } = hit._source;
      const moved: ChunkSource = {
        ...kept,
        scope: to.scope,
        scopeId: to.scopeId,
        path: to.path,
        ...(to.expiresAt === undefined ? {} : { expiresAt: to.expiresAt }),
      };
      return this.indexAction(moved);
    });
    // managed domain: same ids, so the index actions replace; serverless: new ids, so delete the old ones
    if (this.serverless) actions.push(...hits.map((hit) => [{ delete: { _index: this.index, _id: hit._id } }]));
    await this.bulk(actions);
  }

  /**
   * One request runs both halves: a k-NN query and a BM25 `match` as named `should` clauses of a
   * bool query with the partition filter; `include_named_queries_score` returns each hit's score
   * per clause, so ranking.ts combines the raw signals with absolute weights (a `hybrid` query
   * with a normalization processor would rescale them per query instead; see docs/decisions.md).
   */
  async search(query: SearchQuery): Promise<Candidate[]> {
    const partition = [
      { term: { tenant: query.tenant } },
      { term: { scope: query.scope } },
      { term: { scopeId: query.scopeId } },
      {
        bool: {
          should: [{ range: { expiresAt: { gt: Math.floor(query.now) } } }, { bool: { must_not: { exists: { field: 'expiresAt' } } } }],
          minimum_should_match: 1,
        },
      },
    ];
    const { body } = await this.request({
      method: 'POST',
      path: `/${this.index}/_search`,
      querystring: { include_named_queries_score: true },
      body: {
        size: 2 * query.candidates,
        _source: { excludes: [VECTOR_FIELD] },
        query: {
          bool: {
            filter: partition,
            should: [
              {
                knn: {
                  [VECTOR_FIELD]: {
                    vector: Array.from(query.vector),
                    k: query.candidates,
                    filter: { bool: { filter: partition } },
                    _name: VECTOR_CLAUSE,
                  },
                },
              },
              { match: { content: { query: query.text, _name: LEXICAL_CLAUSE } } },
            ],
            minimum_should_match: 1,
          },
        },
      },
    });
    const hits = (body?.hits?.hits ?? []) as { _source: ChunkSource; matched_queries?: Record<string, number> }[];
    // cosinesimil scores (1 + cosine) / 2; a chunk outside the k nearest is at most as close as the k-th
    const cosines = hits
      .map((hit) => hit.matched_queries?.[VECTOR_CLAUSE])
      .filter((score) => score !== undefined)
      .map((score) => 2 * score - 1);
    const beyondNearest = cosines.length ? Math.min(...cosines) : 0;
    return hits.map((hit) => {
      const vector = hit.matched_queries?.[VECTOR_CLAUSE];
      return {
        itemId: hit._source.itemId,
        path: hit._source.path,
        content: hit._source.content,
        cosine: vector === undefined ? beyondNearest : 2 * vector - 1,
        bm25: hit.matched_queries?.[LEXICAL_CLAUSE] ?? 0,
      };
    });
  }

  private source(item: IndexedItem, chunk: number, content: string, vector: number[]): ChunkSource {
    return {
      itemId: item.itemId,
      tenant: item.tenant,
      scope: item.scope,
      scopeId: item.scopeId,
      path: item.path,
      chunk,
      content,
      ...(item.expiresAt === undefined ? {} : { expiresAt: item.expiresAt }),
      [VECTOR_FIELD]: vector,
    };
  }

  private indexAction(source: ChunkSource): unknown[] {
    const meta = this.serverless ? { _index: this.index } : { _index: this.index, _id: `${source.itemId}:${source.chunk}` };
    return [{ index: meta }, source];
  }

  private async chunksOf(itemId: string, withSource: boolean): Promise<{ _id: string; _source: ChunkSource }[]> {
    const { body } = await this.request({
      method: 'POST',
      path: `/${this.index}/_search`,
      body: { size: MAX_CHUNKS_PER_ITEM, _source: withSource, query: { term: { itemId } } },
    });
    return body?.hits?.hits ?? [];
  }

  private request(params: Parameters<SearchTransport['request']>[0]): ReturnType<SearchTransport['request']> {
    return this.transport.request(params).catch((error: unknown) => Promise.reject(openSearchError(error, this.index)));
  }

  /** Sends actions (each its lines: action and document) in `_bulk` requests of at most bulkMaxBytes each. */
  private async bulk(actions: unknown[][]): Promise<void> {
    let batch: unknown[] = [];
    let bytes = 0;
    for (const action of actions) {
      const size = action.reduce<number>((sum, line) => sum + Buffer.byteLength(JSON.stringify(line)) + 1, 0);
      if (size > this.bulkMaxBytes)
        throw new Error(`One OpenSearch bulk action is ${size} bytes, over the ${this.bulkMaxBytes}-byte request budget`);
      if (bytes + size > this.bulkMaxBytes) {
        await this.sendBulk(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(...action);
      bytes += size;
    }
    if (batch.length) await this.sendBulk(batch);
  }

  private async sendBulk(bulkBody: unknown[]): Promise<void> {
    const { body } = await this.request({
      method: 'POST',
      path: '/_bulk',
      bulkBody,
      ...(this.serverless ? {} : { querystring: { refresh: 'wait_for' } }),
    });
    if (body?.errors) {
      const failed = (body.items as Record<string, { status: number; error?: { type?: string; reason?: string } }>[])
        .map((entry) => Object.values(entry)[0])
        .find((result) => result.error && !(result.status === 404 && !result.error.type));
      if (failed) throw new Error(`OpenSearch bulk request failed: ${failed.error?.type}: ${failed.error?.reason}`);
    }
  }
}

/** Requests signed with the function's IAM role (SigV4, service `es` or `aoss`). */
export function openSearchTransport(endpoint: string): SearchTransport {
  const node = /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
  return signedTransport({ node, region: config.region, service: config.openSearchServerless ? 'aoss' : 'es' });
}

export function openSearchVectorIndex(): OpenSearchVectorIndex {
  return new OpenSearchVectorIndex(
    openSearchTransport(config.openSearchEndpoint),
    vectorIndexName(config.openSearchIndex, config.embeddingDimension),
    config.openSearchServerless,
    config.openSearchBulkMaxBytes,
  );
}
