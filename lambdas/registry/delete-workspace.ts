import { httpHandler } from '../kit/http';
import { deleteWorkspace } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(deleteWorkspace, ({ auth, params }) => registry.deleteWorkspace(auth, params.id));
