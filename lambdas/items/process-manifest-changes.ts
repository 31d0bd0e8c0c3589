import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { config } from '../kit/config';
import { jobHandler, withTenant } from '../kit/job';
import { logger } from '../kit/observability';
import { discard } from './service/indexing';
import { ingestPending, ingestQueue } from './service/ingest';
import { parseScopePk } from './service/scope';

/** A string attribute of a stream image (the only kind read here). */
const text = (image: Record<string, { S?: string }> | undefined, name: string): string | undefined => image?.[name]?.S;

/** DynamoDB's TTL deleted it (not a client's delete or a move, whose bytes and index documents live on). */
const deletedByTtl = (record: DynamoDBRecord): boolean =>
  record.eventName === 'REMOVE' && record.userIdentity?.type === 'Service' && record.userIdentity.principalId === 'dynamodb.amazonaws.com';

/** Time kept back from the function's limit for the last writes and the answer. */
const MARGIN_MS = 10_000;

/**
 * Consumer of the manifests stream, for scoped items only:
 * - an entry removed by TTL: delete its bytes and index documents (the old image names them);
 * - an entry written (INSERT/MODIFY; the stream carries its keys): when it is a pending fileUrl,
 *   fetch and ingest it. This is the background half of large `fileUrl` adds in AWS.
 *
 * Records run concurrently through the fair queue (each tenant gets its share of the slots). A
 * record starts only while its whole fetch deadline still fits in the invocation, so no fetch is
 * cut short and the function never times out; records that could not start, or failed outside
 * the fetch (which marks its item failed itself), are reported as batch item failures and come
 * again (the event source reports batch item failures).
 */
export async function onManifestsChange(
  event: DynamoDBStreamEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<DynamoDBBatchResponse> {
  const started = Date.now();
  const end = context ? started + context.getRemainingTimeInMillis() - MARGIN_MS : Infinity;
  const fetchMs = config.fetchTimeoutSeconds * 1000;
  // with a function limit shorter than the fetch deadline, only the first wave may start, bounded by the limit
  const neededToStart = Math.min(fetchMs, end - started);
  const failed: string[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      const pk = text(record.dynamodb?.Keys, 'pk');
      const sk = text(record.dynamodb?.Keys, 'sk');
      const ref = pk && sk ? parseScopePk(pk) : undefined;
      if (!ref) return;
      const ttl = deletedByTtl(record);
      if (!ttl && record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return;
      // every line about this record names its tenant
      await withTenant(ref.tenant, async () => {
        try {
          await ingestQueue.run(ref.tenant, async () => {
            if (end - Date.now() < neededToStart) throw new NotStarted();
            if (ttl) {
              const itemId = text(record.dynamodb?.OldImage, 'itemId');
              if (itemId) await discard({ itemId, blobKey: text(record.dynamodb?.OldImage, 'blobKey') });
            } else {
              await ingestPending({ pk: pk as string, sk: sk as string }, AbortSignal.timeout(Math.min(fetchMs, end - Date.now())));
            }
          });
        } catch (error) {
          if (!(error instanceof NotStarted)) logger.error('stream record failed', { pk, sk, error: error as Error });
          failed.push(record.dynamodb?.SequenceNumber ?? record.eventID ?? '');
        }
      });
    }),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

class NotStarted extends Error {}

export const handler = jobHandler('items/process-manifest-changes', onManifestsChange);
