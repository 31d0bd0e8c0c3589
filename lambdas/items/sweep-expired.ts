import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../kit/observability';
import { sweepExpired } from './expiry';

/** Scheduled: removes expired items (entry, bytes, index documents) that DynamoDB's TTL has not deleted yet. */
export const handler = middy(async () => ({ removed: await sweepExpired() })).use(injectLambdaContext(logger));
