import { AppError } from '../kit/errors';
import { logger } from '../kit/observability';

/**
 * Errors of the search dependencies (Bedrock, OpenSearch) in terms a client and an operator can
 * act on: throttling -> 429 with Retry-After (try again soon); the dependency unavailable -> 503
 * with Retry-After; a deployment problem (access denied, model or index missing) -> 503 with
 * what the operator must fix. The original error is logged with its details; anything else
 * passes through unchanged (a 500 with the request id).
 */
const RETRY_AFTER_SECONDS = '5';

const retryLater = (status: 429 | 503, message: string) =>
  new AppError(status, status === 429 ? 'THROTTLED' : 'SERVICE_UNAVAILABLE', message, undefined, { 'Retry-After': RETRY_AFTER_SECONDS });
const misconfigured = (message: string) => new AppError(503, 'SERVICE_UNAVAILABLE', message);

export function bedrockError(error: unknown, modelId: string): unknown {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const mapped =
    name === 'ThrottlingException' || name === 'ServiceQuotaExceededException' || name === 'TooManyRequestsException'
      ? retryLater(429, `The embedding model is throttling requests; retry in ${RETRY_AFTER_SECONDS} seconds`)
      : name === 'ModelNotReadyException' ||
          name === 'ServiceUnavailableException' ||
          name === 'ModelTimeoutException' ||
          name === 'InternalServerException'
        ? retryLater(503, `The embedding model is unavailable for a moment; retry in ${RETRY_AFTER_SECONDS} seconds`)
        : name === 'AccessDeniedException'
          ? misconfigured(
              `Search is unavailable: this deployment may not invoke Bedrock model ${modelId}. An operator must enable access to the model in the Bedrock console of this region.`,
            )
          : name === 'ResourceNotFoundException' || (name === 'ValidationException' && /model/i.test(String((error as Error).message)))
            ? misconfigured(
                `Search is unavailable: Bedrock model ${modelId} is not offered in this region. An operator must deploy to a region with the model or set bedrockModelId.`,
              )
            : undefined;
  return report(mapped, error, 'Bedrock');
}

export function openSearchError(error: unknown, index: string): unknown {
  const status =
    (error as { meta?: { statusCode?: number }; statusCode?: number } | undefined)?.meta?.statusCode ??
    (error as { statusCode?: number })?.statusCode;
  const type = String((error as { meta?: { body?: { error?: { type?: string } } } })?.meta?.body?.error?.type ?? '');
  const mapped =
    status === 429
      ? retryLater(429, `The search index is throttling requests; retry in ${RETRY_AFTER_SECONDS} seconds`)
      : status === 502 || status === 503 || status === 504
        ? retryLater(503, `The search index is unavailable for a moment; retry in ${RETRY_AFTER_SECONDS} seconds`)
        : status === 401 || status === 403
          ? misconfigured(
              "Search is unavailable: the search index refuses this function's role. An operator must check the domain access policy or the collection's data access policy (docs/deploy.md).",
            )
          : status === 404 && type === 'index_not_found_exception'
            ? misconfigured(
                `Search is unavailable: index ${index} does not exist. An operator must redeploy the data stack (its custom resource creates the index).`,
              )
            : undefined;
  return report(mapped, error, 'OpenSearch');
}

function report(mapped: AppError | undefined, error: unknown, dependency: string): unknown {
  if (!mapped) return error;
  if (mapped.status === 429) logger.warn(`${dependency} throttled`, { error: error as Error });
  else logger.error(`${dependency} failed`, { error: error as Error, answer: mapped.message });
  return mapped;
}
