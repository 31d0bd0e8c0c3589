import { httpHandler } from '../kit/http';
import { createSession } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(createSession, async ({ auth, params, body }) => ({
  session: await registry.createSession(auth, params.id, body),
}));
