import { httpHandler } from '../kit/http';
import { putProvider } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(putProvider, async ({ auth, params, body }) => ({
  provider: await registry.putComponent(auth, 'provider', params.id, params.name, body),
}));
