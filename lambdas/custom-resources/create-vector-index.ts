import { DescribeDomainCommand, OpenSearchClient, type DescribeDomainCommandOutput } from '@aws-sdk/client-opensearch';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { openSearchTransport, type SearchTransport } from '../adapters/vector-index/opensearch';
import { vectorIndexDefinition, vectorIndexName } from '../adapters/vector-index/mapping';
import { config } from '../kit/config';
import { jobHandler } from '../kit/job';
import { logger } from '../kit/observability';
import { sleep } from '../shared/time';

/**
 * CDK Provider `onEvent` handler of the custom resource that creates the k-NN index of item chunks.
 * Create/Update: wait until the domain is ready and has an endpoint (a serverless collection's
 * endpoint comes in OPENSEARCH_ENDPOINT), then create the index unless it exists. Delete: nothing
 * (the data is retained with the domain).
 * Environment: OPENSEARCH_DOMAIN_NAME (managed domain) or OPENSEARCH_ENDPOINT + OPENSEARCH_SERVERLESS=true,
 * OPENSEARCH_INDEX, EMBEDDING_DIMENSION.
 */
export interface CreateIndexDeps {
  describeDomain(domainName: string): Promise<Pick<DescribeDomainCommandOutput, 'DomainStatus'>>;
  transport(endpoint: string): SearchTransport;
  sleep(ms: number): Promise<void>;
  /** Time left for this invocation, ms. */
  remainingMs(): number;
}

const POLL_MS = 15_000;
/** Keep a margin before Lambda's own time limit: an answer is better than a timeout. */
const MARGIN_MS = 30_000;

export async function domainEndpoint(deps: CreateIndexDeps): Promise<string> {
  if (config.openSearchServerless) return config.openSearchEndpoint;
  const domainName = config.openSearchDomainName;
  for (;;) {
    const { DomainStatus: status } = await deps.describeDomain(domainName);
    const endpoint = status?.Endpoint ?? status?.Endpoints?.vpc;
    if (status && !status.Processing && endpoint) return endpoint;
    if (deps.remainingMs() < POLL_MS + MARGIN_MS)
      throw new Error(`OpenSearch domain ${domainName} is not ready yet (processing or without endpoint)`);
    logger.info('waiting for the OpenSearch domain', { domainName, processing: status?.Processing, endpoint });
    await deps.sleep(POLL_MS);
  }
}

/** Between retries of a request that a fresh access policy still refuses. */
const FORBIDDEN_RETRY_MS = 10_000;

const statusOf = (error: unknown): number | undefined =>
  (error as { meta?: { statusCode?: number } }).meta?.statusCode ?? (error as { statusCode?: number }).statusCode;

/**
 * Runs `call` until the index grants access: a data access policy (serverless) or domain access
 * policy created moments ago answers 403 for a while. Gives up with the 403 before Lambda's limit.
 */
export async function whenAuthorized<T>(deps: Pick<CreateIndexDeps, 'sleep' | 'remainingMs'>, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (statusOf(error) !== 403 || deps.remainingMs() < FORBIDDEN_RETRY_MS + MARGIN_MS) throw error;
      logger.info('the index refuses access (403): waiting for its access policy to apply', { attempt });
      await deps.sleep(FORBIDDEN_RETRY_MS);
    }
  }
}

/** Creates the index with the mapping of vector-index-mapping.ts; an existing index is left as it is. */
export async function ensureVectorIndex(transport: SearchTransport, index: string, dimension: number): Promise<'created' | 'exists'> {
  const head = await transport.request({ method: 'HEAD', path: `/${index}` }, { ignore: [404] });
  if (head.statusCode === 200) return 'exists';
  const created = await transport.request({ method: 'PUT', path: `/${index}`, body: vectorIndexDefinition(dimension) }, { ignore: [400] });
  if (created.statusCode === 400) {
    // created concurrently meanwhile: fine; any other 400 is a real error
    if (created.body?.error?.type === 'resource_already_exists_exception') return 'exists';
    throw new Error(`Creating index ${index} failed: ${JSON.stringify(created.body?.error ?? created.body)}`);
  }
  return 'created';
}

export async function onEvent(event: CloudFormationCustomResourceEvent, deps: CreateIndexDeps) {
  const index = vectorIndexName(config.openSearchIndex, config.embeddingDimension);
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const endpoint = await domainEndpoint(deps);
  const transport = deps.transport(endpoint);
  const outcome = await whenAuthorized(deps, () => ensureVectorIndex(transport, index, config.embeddingDimension));
  logger.info('vector index ready', { index, endpoint, outcome });
  return { PhysicalResourceId: `vector-index:${index}`, Data: { IndexName: index, Endpoint: endpoint } };
}

export const handler = jobHandler('custom-resources/create-vector-index', async (event: CloudFormationCustomResourceEvent, context) => {
  const control = new OpenSearchClient({ region: config.region });
  return onEvent(event, {
    describeDomain: (DomainName) => control.send(new DescribeDomainCommand({ DomainName })),
    transport: openSearchTransport,
    sleep,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
});
