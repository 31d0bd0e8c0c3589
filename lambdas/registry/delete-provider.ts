import { httpHandler } from '../kit/http';
import { deleteProvider } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(deleteProvider, ({ auth, params }) =>
  registry.deleteComponent(auth, 'provider', params.id, params.name),
);
