import { httpHandler } from '../kit/http';
import { updateSession } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(updateSession, async ({ auth, params, body }) => ({
  session: await registry.updateSession(auth, params.id, params.sessionId, body),
}));
