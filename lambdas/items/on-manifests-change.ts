import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../kit/observability';
import { discard } from './indexing';
import { ingestPending } from './ingest';
import { parseScopePk } from './scope';

/** A string attribute of a stream image (the only kind read here). */
const text = (image: Record<string, { S?: string }> | undefined, name: string): string | undefined => image?.[name]?.S;

/** DynamoDB's TTL deleted it (not a client's delete or a move, whose bytes and index entries live on). */
const deletedByTtl = (record: DynamoDBRecord): boolean =>
  record.eventName === 'REMOVE' && record.userIdentity?.type === 'Service' && record.userIdentity.principalId === 'dynamodb.amazonaws.com';

/**
 * Consumer of the manifests stream (OLD_IMAGE), for scoped items only:
 * - an entry removed by TTL: delete its bytes and index documents (the old image names them);
 * - an entry written (INSERT/MODIFY; the stream carries its keys): when it is a pending fileUrl,
 *   fetch and ingest it. This is the background half of large `fileUrl` adds in AWS.
 */
export async function onManifestsChange(event: DynamoDBStreamEvent): Promise<void> {
  for (const record of event.Records) {
    const pk = text(record.dynamodb?.Keys, 'pk');
    const sk = text(record.dynamodb?.Keys, 'sk');
    if (!pk || !sk || !parseScopePk(pk)) continue;
    if (deletedByTtl(record)) {
      const itemId = text(record.dynamodb?.OldImage, 'itemId');
      if (itemId) await discard({ itemId, blobKey: text(record.dynamodb?.OldImage, 'blobKey') });
    } else if (record.eventName === 'INSERT' || record.eventName === 'MODIFY') {
      await ingestPending({ pk, sk });
    }
  }
}

export const handler = middy(onManifestsChange).use(injectLambdaContext(logger));
