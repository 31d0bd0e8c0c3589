import { httpHandler } from '../kit/http';
import { deleteAgent } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(deleteAgent, ({ auth, params }) => registry.deleteComponent(auth, 'agent', params.id, params.name));
