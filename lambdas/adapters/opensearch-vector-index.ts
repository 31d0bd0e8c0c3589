import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import { config } from '../kit/config';
import { VECTOR_FIELD } from './vector-index-mapping';
import { byScoreThenPath, type IndexedChunk, type IndexedItem, type VectorHit, type VectorIndex, type VectorQuery } from './vector-index';

/** The part of the OpenSearch client this adapter uses: `client.transport.request`. */
export interface SearchTransport {
  request(
    params: { method: string; path: string; body?: unknown; bulkBody?: unknown[]; querystring?: Record<string, unknown> },
    options?: { ignore?: number[] },
  ): Promise<{ body: any; statusCode: number | null }>;
}

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
  ) {}

  async putItem(item: IndexedItem, chunks: IndexedChunk[]): Promise<void> {
    if (!chunks.length) return;
    await this.bulk(chunks.flatMap((chunk, i) => this.indexAction(this.source(item, i, chunk.content, Array.from(chunk.vector)))));
  }

  async deleteItem(itemId: string): Promise<void> {
    const ids = (await this.chunksOf(itemId, false)).map((hit) => hit._id);
    if (ids.length) await this.bulk(ids.map((_id) => ({ delete: { _index: this.index, _id } })));
  }

  async moveItem(itemId: string, to: Omit<IndexedItem, 'itemId' | 'tenant'>): Promise<void> {
    const hits = await this.chunksOf(itemId, true);
    if (!hits.length) return;
    const actions = hits.flatMap((hit) => {
      const { expiresAt: _old, ...kept } = hit._source;
      const moved: ChunkSource = { ...kept, scope: to.scope, scopeId: to.scopeId, path: to.path, ...(to.expiresAt === undefined ? {} : { expiresAt: to.expiresAt }) };
      return this.indexAction(moved);
    });
    // managed domain: same ids, so the index actions replace; serverless: new ids, so delete the old ones
    if (this.serverless) actions.push(...hits.map((hit) => ({ delete: { _index: this.index, _id: hit._id } })));
    await this.bulk(actions);
  }

  async search(query: VectorQuery): Promise<VectorHit[]> {
    const candidates = Math.min(Math.max(query.limit * 5, 50), 500);
    const { body } = await this.transport.request({
      method: 'POST',
      path: `/${this.index}/_search`,
      body: {
        size: candidates,
        _source: { excludes: [VECTOR_FIELD] },
        query: {
          knn: {
            [VECTOR_FIELD]: {
              vector: Array.from(query.vector),
              k: candidates,
              filter: {
                bool: {
                  filter: [
                    { term: { tenant: query.tenant } },
                    { term: { scope: query.scope } },
                    { term: { scopeId: query.scopeId } },
                    {
                      bool: {
                        should: [{ range: { expiresAt: { gt: Math.floor(query.now) } } }, { bool: { must_not: { exists: { field: 'expiresAt' } } } }],
                        minimum_should_match: 1,
                      },
                    },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const best = new Map<string, VectorHit>();
    for (const hit of (body?.hits?.hits ?? []) as { _score: number; _source: ChunkSource }[]) {
      if (hit._score < query.minScore) continue;
      const previous = best.get(hit._source.itemId);
      if (!previous || hit._score > previous.score) {
        best.set(hit._source.itemId, { itemId: hit._source.itemId, path: hit._source.path, content: hit._source.content, score: hit._score });
      }
    }
    return [...best.values()].sort(byScoreThenPath).slice(0, query.limit);
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
    const { body } = await this.transport.request({
      method: 'POST',
      path: `/${this.index}/_search`,
      body: { size: MAX_CHUNKS_PER_ITEM, _source: withSource, query: { term: { itemId } } },
    });
    return body?.hits?.hits ?? [];
  }

  private async bulk(bulkBody: unknown[]): Promise<void> {
    const { body } = await this.transport.request({
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

/** A client signed with the function's IAM role (SigV4, service `es` or `aoss`). */
export function openSearchTransport(endpoint: string): SearchTransport {
  const node = /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
  const client = new Client({ ...AwsSigv4Signer({ region: config.region, service: config.openSearchServerless ? 'aoss' : 'es' }), node });
  return { request: (params, options) => client.transport.request(params as never, options) as never };
}

export function openSearchVectorIndex(): OpenSearchVectorIndex {
  return new OpenSearchVectorIndex(openSearchTransport(config.openSearchEndpoint), config.openSearchIndex, config.openSearchServerless);
}
