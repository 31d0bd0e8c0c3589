import { AppError } from '../kit/errors';
import { httpHandler } from '../kit/http';
import { stream } from '../contracts/mcp';

/** `GET /mcp`: Streamable HTTP's optional server-to-client stream, which a stateless server does not offer. */
export const handler = httpHandler(stream, async () => {
  throw new AppError(405, 'METHOD_NOT_ALLOWED', 'No event stream here: POST /mcp answers every request', undefined, { allow: 'POST' });
});
