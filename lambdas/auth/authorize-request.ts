import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { documentClient } from '../kit/aws';
import { toAuthorizerContext, type AuthorizerContext } from '../kit/auth-context';
import { config } from '../kit/config';
import { logger } from '../kit/observability';
import { KeyStore } from './service/keys';

const keys = new KeyStore(documentClient(), config.tableName('apiKeys'));
const DENY = { isAuthorized: false, context: { tenant: '', agent: '', surfaces: '', keyId: '' } };

/**
 * HTTP API REQUEST authorizer (simple responses). API Gateway caches its answer per
 * Authorization header for the configured TTL, so a revoked key stops working within it.
 */
export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> {
  const header = event.headers?.authorization ?? event.headers?.Authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) return DENY;
  const record = await keys.findActive(match[1]);
  if (!record) {
    logger.info('unknown or revoked API key');
    return DENY;
  }
  return { isAuthorized: true, context: toAuthorizerContext(record) };
}
