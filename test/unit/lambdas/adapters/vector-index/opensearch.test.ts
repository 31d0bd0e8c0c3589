import { OpenSearchVectorIndex, type SearchTransport } from '../../../../../lambdas/adapters/vector-index/opensearch';

/** A transport that records requests and answers from a queue. */
function fakeTransport(answers: unknown[] = []) {
  const requests: Parameters<SearchTransport['request']>[] = [];
  const transport: SearchTransport = {
    async request(params, options) {
      requests.push([params, options]);
      return { body: answers.shift() ?? { errors: false, items: [] }, statusCode: 200 };
    },
  };
  return { transport, requests };
}

const item = { itemId: 'item-1', tenant: 't1', scope: 'agent', scopeId: 'a1', path: '/docs/a.md', expiresAt: 1_900_000_000 };
const vector = (...values: number[]) => Float32Array.from(values);

describe('OpenSearch vector index adapter', () => {
  it('indexes the chunks of an item with one bulk request (managed domain: ids, refresh wait_for)', async () => {
    const { transport, requests } = fakeTransport();
    await new OpenSearchVectorIndex(transport, 'satchel-items', false).putItem(item, [
      { content: 'first', vector: vector(0.6, 0.8) },
      { content: 'second', vector: vector(1, 0) },
    ]);
    expect(requests).toEqual([
      [
        {
          method: 'POST',
          path: '/_bulk',
          querystring: { refresh: 'wait_for' },
          bulkBody: [
            { index: { _index: 'satchel-items', _id: 'item-1:0' } },
            {
              itemId: 'item-1',
              tenant: 't1',
              scope: 'agent',
              scopeId: 'a1',
              path: '/docs/a.md',
              chunk: 0,
              content: 'first',
              expiresAt: 1_900_000_000,
              embedding: [expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)],
            },
            { index: { _index: 'satchel-items', _id: 'item-1:1' } },
            {
              itemId: 'item-1',
              tenant: 't1',
              scope: 'agent',
              scopeId: 'a1',
              path: '/docs/a.md',
              chunk: 1,
              content: 'second',
              expiresAt: 1_900_000_000,
              embedding: [1, 0],
            },
          ],
        },
        undefined,
      ],
    ]);
  });

  it('on OpenSearch Serverless lets the service assign ids and sends no refresh', async () => {
    const { transport, requests } = fakeTransport();
    await new OpenSearchVectorIndex(transport, 'idx', true).putItem({ ...item, expiresAt: undefined }, [
      { content: 'c', vector: vector(1, 0) },
    ]);
    expect(requests[0][0]).toEqual({
      method: 'POST',
      path: '/_bulk',
      bulkBody: [
        { index: { _index: 'idx' } },
        { itemId: 'item-1', tenant: 't1', scope: 'agent', scopeId: 'a1', path: '/docs/a.md', chunk: 0, content: 'c', embedding: [1, 0] },
      ],
    });
  });

  it('throws when the bulk answer reports an error', async () => {
    const { transport } = fakeTransport([
      { errors: true, items: [{ index: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad dimension' } } }] },
    ]);
    await expect(new OpenSearchVectorIndex(transport, 'idx', false).putItem(item, [{ content: 'c', vector: vector(1) }])).rejects.toThrow(
      /mapper_parsing_exception: bad dimension/,
    );
  });

  it("runs k-NN and BM25 in one bool query with the partition filter and reads each half's score from the named clauses", async () => {
    const hit = (itemId: string, path: string, content: string, matched: Record<string, number>) => ({
      _id: `${itemId}:0`,
      _score: 1,
      _source: { itemId, path, content },
      matched_queries: matched,
    });
    const { transport, requests } = fakeTransport([
      {
        hits: {
          hits: [
            hit('i1', '/a.md', 'both halves', { vector: 0.9, lexical: 7.5 }),
            hit('i2', '/b.md', 'vector only', { vector: 0.7 }),
            hit('i3', '/c.md', 'words only', { lexical: 2 }),
          ],
        },
      },
    ]);
    const candidates = await new OpenSearchVectorIndex(transport, 'idx', false).search({
      tenant: 't1',
      scope: 'session',
      scopeId: 's1',
      text: 'rotate the keys',
      vector: vector(0, 1),
      candidates: 30,
      now: 1_800_000_000.5,
    });
    const partition = [
      { term: { tenant: 't1' } },
      { term: { scope: 'session' } },
      { term: { scopeId: 's1' } },
      {
        bool: {
          should: [{ range: { expiresAt: { gt: 1_800_000_000 } } }, { bool: { must_not: { exists: { field: 'expiresAt' } } } }],
          minimum_should_match: 1,
        },
      },
    ];
    expect(requests[0][0]).toEqual({
      method: 'POST',
      path: '/idx/_search',
      querystring: { include_named_queries_score: true },
      body: {
        size: 60,
        _source: { excludes: ['embedding'] },
        query: {
          bool: {
            filter: partition,
            should: [
              { knn: { embedding: { vector: [0, 1], k: 30, filter: { bool: { filter: partition } }, _name: 'vector' } } },
              { match: { content: { query: 'rotate the keys', _name: 'lexical' } } },
            ],
            minimum_should_match: 1,
          },
        },
      },
    });
    // cosinesimil score s = (1 + cosine) / 2; a chunk the k-NN half did not return gets the lowest cosine it returned
    expect(candidates).toEqual([
      { itemId: 'i1', path: '/a.md', content: 'both halves', cosine: expect.closeTo(0.8, 6), bm25: 7.5 },
      { itemId: 'i2', path: '/b.md', content: 'vector only', cosine: expect.closeTo(0.4, 6), bm25: 0 },
      { itemId: 'i3', path: '/c.md', content: 'words only', cosine: expect.closeTo(0.4, 6), bm25: 2 },
    ]);
  });

  it('splits bulk bodies under the byte budget, keeping each action with its document', async () => {
    const { transport, requests } = fakeTransport();
    const chunks = Array.from({ length: 10 }, (_, i) => ({ content: `chunk ${i} ${'x'.repeat(1000)}`, vector: vector(1, 0) }));
    await new OpenSearchVectorIndex(transport, 'idx', false, 3500).putItem(item, chunks);
    const bodies = requests.map(([params]) => params.bulkBody as unknown[]);
    expect(bodies.length).toBeGreaterThan(3);
    for (const body of bodies) {
      expect(body.reduce<number>((sum, line) => sum + Buffer.byteLength(JSON.stringify(line)) + 1, 0)).toBeLessThanOrEqual(3500);
      expect(body.length % 2).toBe(0);
    }
    expect(
      bodies
        .flat()
        .filter((_, i) => i % 2 === 1)
        .map((doc) => (doc as { chunk: number }).chunk),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(new OpenSearchVectorIndex(transport, 'idx', false, 500).putItem(item, chunks)).rejects.toThrow(
      /over the 500-byte request budget/,
    );
  });

  it('maps OpenSearch throttling to 429, outages to 503 with Retry-After, and a refused role or missing index to 503 for the operator', async () => {
    const failing = (statusCode: number, type?: string) => {
      const transport: SearchTransport = {
        request: async () => Promise.reject(Object.assign(new Error('ResponseError'), { meta: { statusCode, body: { error: { type } } } })),
      };
      return new OpenSearchVectorIndex(transport, 'idx', false).search({
        tenant: 't',
        scope: 'company',
        scopeId: '-',
        text: 'q',
        vector: vector(1, 0),
        candidates: 10,
        now: 0,
      });
    };
    await expect(failing(429)).rejects.toMatchObject({ status: 429, headers: { 'Retry-After': '5' } });
    await expect(failing(503)).rejects.toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
    await expect(failing(403)).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/data access policy/) });
    await expect(failing(404, 'index_not_found_exception')).rejects.toMatchObject({
      status: 503,
      message: expect.stringMatching(/index idx does not exist/),
    });
    await expect(failing(400, 'parsing_exception')).rejects.toMatchObject({ message: 'ResponseError' });
  });

  it('deletes an item by looking up its chunk ids, then one bulk delete', async () => {
    const { transport, requests } = fakeTransport([{ hits: { hits: [{ _id: 'item-1:0' }, { _id: 'item-1:1' }] } }]);
    await new OpenSearchVectorIndex(transport, 'idx', false).deleteItem('item-1');
    expect(requests.map(([params]) => params)).toEqual([
      { method: 'POST', path: '/idx/_search', body: { size: 2000, _source: false, query: { term: { itemId: 'item-1' } } } },
      {
        method: 'POST',
        path: '/_bulk',
        querystring: { refresh: 'wait_for' },
        bulkBody: [{ delete: { _index: 'idx', _id: 'item-1:0' } }, { delete: { _index: 'idx', _id: 'item-1:1' } }],
      },
    ]);
  });

  it('moves an item by rewriting its chunks with the new scope, path and expiry', async () => {
    const source = {
      itemId: 'item-1',
      tenant: 't1',
      scope: 'session',
      scopeId: 's1',
      path: '/old.md',
      chunk: 0,
      content: 'c',
      expiresAt: 5,
      embedding: [1, 0],
    };
    const managed = fakeTransport([{ hits: { hits: [{ _id: 'item-1:0', _source: source }] } }]);
    await new OpenSearchVectorIndex(managed.transport, 'idx', false).moveItem('item-1', {
      scope: 'company',
      scopeId: '-',
      path: '/new.md',
    });
    expect(managed.requests[1][0]).toEqual({
      method: 'POST',
      path: '/_bulk',
      querystring: { refresh: 'wait_for' },
      bulkBody: [
        { index: { _index: 'idx', _id: 'item-1:0' } },
        { ...source, scope: 'company', scopeId: '-', path: '/new.md', expiresAt: undefined },
      ].map((x) => JSON.parse(JSON.stringify(x))),
    });
    const serverless = fakeTransport([{ hits: { hits: [{ _id: 'auto-1', _source: source }] } }]);
    await new OpenSearchVectorIndex(serverless.transport, 'idx', true).moveItem('item-1', {
      scope: 'agent',
      scopeId: 'a1',
      path: '/new.md',
      expiresAt: 9,
    });
    expect(serverless.requests[1][0].bulkBody).toEqual([
      { index: { _index: 'idx' } },
      { ...source, scope: 'agent', scopeId: 'a1', path: '/new.md', expiresAt: 9 },
      { delete: { _index: 'idx', _id: 'auto-1' } },
    ]);
  });
});
