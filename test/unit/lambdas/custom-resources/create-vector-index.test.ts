import { SearchResponseError } from '../../../../lambdas/adapters/vector-index/opensearch-transport';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { SearchTransport } from '../../../../lambdas/adapters/vector-index/opensearch';
import { vectorIndexDefinition } from '../../../../lambdas/adapters/vector-index/mapping';
import { onEvent, type CreateIndexDeps } from '../../../../lambdas/custom-resources/create-vector-index';

const event = (RequestType: 'Create' | 'Update' | 'Delete') =>
  ({
    RequestType,
    PhysicalResourceId: 'vector-index:satchel-items',
    ResourceProperties: {},
    ServiceToken: 'x',
  }) as unknown as CloudFormationCustomResourceEvent;

function deps(statuses: { Processing: boolean; Endpoint?: string }[], answers: { statusCode: number; body?: unknown }[]) {
  const described: string[] = [];
  const requests: unknown[] = [];
  const endpoints: string[] = [];
  let sleeps = 0;
  const transport: SearchTransport = {
    async request(params, options) {
      requests.push({ ...params, ...(options ? { options } : {}) });
      const answer = answers.shift() ?? { statusCode: 200 };
      return { body: answer.body ?? {}, statusCode: answer.statusCode };
    },
  };
  const d: CreateIndexDeps = {
    async describeDomain(name) {
      described.push(name);
      return { DomainStatus: statuses.shift() as never };
    },
    transport: (endpoint) => {
      endpoints.push(endpoint);
      return transport;
    },
    sleep: async () => void sleeps++,
    remainingMs: () => 600_000,
  };
  return { d, described, requests, endpoints, sleeps: () => sleeps };
}

describe('create-vector-index custom resource', () => {
  beforeEach(() => {
    process.env.OPENSEARCH_DOMAIN_NAME = 'satchel-search';
    process.env.EMBEDDING_DIMENSION = '512';
    delete process.env.OPENSEARCH_SERVERLESS;
    delete process.env.OPENSEARCH_ENDPOINT;
  });

  it('waits until the domain is ready, then creates the index with the k-NN mapping', async () => {
    const t = deps(
      [
        { Processing: true },
        { Processing: true, Endpoint: 'search-x.eu-west-1.es.amazonaws.com' },
        { Processing: false, Endpoint: 'search-x.eu-west-1.es.amazonaws.com' },
      ],
      [{ statusCode: 404 }, { statusCode: 200 }],
    );
    const result = await onEvent(event('Create'), t.d);
    expect(t.described).toEqual(['satchel-search', 'satchel-search', 'satchel-search']);
    expect(t.sleeps()).toBe(2);
    expect(t.endpoints).toEqual(['search-x.eu-west-1.es.amazonaws.com']);
    expect(t.requests).toEqual([
      { method: 'HEAD', path: '/satchel-items-v2-d512', options: { ignore: [404] } },
      { method: 'PUT', path: '/satchel-items-v2-d512', body: vectorIndexDefinition(512), options: { ignore: [400] } },
    ]);
    expect(vectorIndexDefinition(512).mappings.properties.embedding).toMatchObject({
      type: 'knn_vector',
      dimension: 512,
      method: { engine: 'lucene', space_type: 'cosinesimil' },
    });
    expect(vectorIndexDefinition(512).mappings.properties.content).toEqual({ type: 'text', analyzer: 'english' });
    expect(result).toEqual({
      PhysicalResourceId: 'vector-index:satchel-items-v2-d512',
      Data: { IndexName: 'satchel-items-v2-d512', Endpoint: 'search-x.eu-west-1.es.amazonaws.com' },
    });
  });

  it('leaves an existing index alone (update) and accepts losing a creation race', async () => {
    const existing = deps([{ Processing: false, Endpoint: 'e' }], [{ statusCode: 200 }]);
    await onEvent(event('Update'), existing.d);
    expect(existing.requests).toEqual([{ method: 'HEAD', path: '/satchel-items-v2-d512', options: { ignore: [404] } }]);
    const race = deps(
      [{ Processing: false, Endpoint: 'e' }],
      [{ statusCode: 404 }, { statusCode: 400, body: { error: { type: 'resource_already_exists_exception' } } }],
    );
    await expect(onEvent(event('Create'), race.d)).resolves.toMatchObject({ PhysicalResourceId: 'vector-index:satchel-items-v2-d512' });
    const bad = deps(
      [{ Processing: false, Endpoint: 'e' }],
      [{ statusCode: 404 }, { statusCode: 400, body: { error: { type: 'illegal_argument_exception' } } }],
    );
    await expect(onEvent(event('Create'), bad.d)).rejects.toThrow(/illegal_argument_exception/);
  });

  it('creates a new index when embeddingDimension changes (a new physical id: the old index is left as it is)', async () => {
    process.env.EMBEDDING_DIMENSION = '1024';
    const t = deps([{ Processing: false, Endpoint: 'e' }], [{ statusCode: 404 }, { statusCode: 200 }]);
    await expect(onEvent(event('Update'), t.d)).resolves.toMatchObject({ PhysicalResourceId: 'vector-index:satchel-items-v2-d1024' });
    expect(t.requests).toEqual([
      { method: 'HEAD', path: '/satchel-items-v2-d1024', options: { ignore: [404] } },
      { method: 'PUT', path: '/satchel-items-v2-d1024', body: vectorIndexDefinition(1024), options: { ignore: [400] } },
    ]);
  });

  it('uses OPENSEARCH_ENDPOINT for a serverless collection without describing a domain', async () => {
    process.env.OPENSEARCH_SERVERLESS = 'true';
    process.env.OPENSEARCH_ENDPOINT = 'https://abc.eu-west-1.aoss.amazonaws.com';
    const t = deps([], [{ statusCode: 404 }, { statusCode: 200 }]);
    await onEvent(event('Create'), t.d);
    expect(t.described).toEqual([]);
    expect(t.endpoints).toEqual(['https://abc.eu-west-1.aoss.amazonaws.com']);
  });

  it('does nothing on Delete (the data is retained)', async () => {
    const t = deps([], []);
    await expect(onEvent(event('Delete'), t.d)).resolves.toEqual({ PhysicalResourceId: 'vector-index:satchel-items' });
    expect(t.described).toEqual([]);
    expect(t.requests).toEqual([]);
  });

  /** What the transport throws while a fresh access policy does not apply yet. */
  const forbidden = () =>
    new SearchResponseError({
      statusCode: 403,
      headers: {},
      body: { error: { type: 'security_exception', reason: 'no permissions for [indices:admin/get]' }, status: 403 },
    });

  it('retries while a fresh access policy still answers 403, then creates the index', async () => {
    process.env.OPENSEARCH_SERVERLESS = 'true';
    process.env.OPENSEARCH_ENDPOINT = 'https://abc.eu-west-1.aoss.amazonaws.com';
    const t = deps([], [{ statusCode: 404 }, { statusCode: 200 }]);
    let refusals = 3;
    const transport = t.d.transport('https://abc.eu-west-1.aoss.amazonaws.com');
    t.d.transport = () => ({
      request: async (params, options) => {
        if (refusals-- > 0) throw forbidden();
        return transport.request(params, options);
      },
    });
    await expect(onEvent(event('Create'), t.d)).resolves.toMatchObject({ PhysicalResourceId: 'vector-index:satchel-items-v2-d512' });
    expect(t.sleeps()).toBe(3);
    expect(t.requests).toEqual([expect.objectContaining({ method: 'HEAD' }), expect.objectContaining({ method: 'PUT' })]);
  });

  it('gives the 403 up before the Lambda time limit; other errors are not retried', async () => {
    process.env.OPENSEARCH_SERVERLESS = 'true';
    process.env.OPENSEARCH_ENDPOINT = 'https://abc.eu-west-1.aoss.amazonaws.com';
    const t = deps([], []);
    let left = 120_000;
    t.d.remainingMs = () => left;
    t.d.sleep = async (ms) => {
      left -= ms;
    };
    t.d.transport = () => ({
      request: async () => {
        throw forbidden();
      },
    });
    await expect(onEvent(event('Create'), t.d)).rejects.toThrow(/security_exception/);
    expect(left).toBeLessThan(60_000);
    expect(left).toBeGreaterThan(0);
    const other = deps([], []);
    let calls = 0;
    other.d.transport = () => ({
      request: async () => {
        calls++;
        throw new Error('getaddrinfo ENOTFOUND');
      },
    });
    await expect(onEvent(event('Create'), other.d)).rejects.toThrow(/ENOTFOUND/);
    expect(calls).toBe(1);
    expect(other.sleeps()).toBe(0);
  });

  it('gives up with a clear error before the Lambda time limit', async () => {
    const t = deps([{ Processing: true }], []);
    t.d.remainingMs = () => 10_000;
    await expect(onEvent(event('Create'), t.d)).rejects.toThrow(/not ready yet/);
  });
});
