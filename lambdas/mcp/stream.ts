import { AppError } from '../kit/errors';
import { httpHandler, Reply } from '../kit/http';
import { ENVELOPES } from '../kit/surfaces';
import { stream } from './contracts';

/** `GET /mcp`: Streamable HTTP's optional server-to-client stream, which a stateless server does not offer. */
export const handler = httpHandler(stream, async ({ requestId }) => {
  const refusal = new AppError(405, 'METHOD_NOT_ALLOWED', 'No event stream here: POST /mcp answers every request');
  return new Reply(405, JSON.stringify(ENVELOPES.mcp.error(refusal, requestId)), { allow: 'POST', 'content-type': 'application/json' }, true);
});
