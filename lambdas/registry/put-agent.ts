import { httpHandler } from '../kit/http';
import { putAgent } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(putAgent, async ({ auth, params, body }) => ({
  agent: await registry.putComponent(auth, 'agent', params.id, params.name, body),
}));
