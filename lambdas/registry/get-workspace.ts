import { httpHandler } from '../kit/http';
import { getWorkspace } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(getWorkspace, ({ auth, params }) => registry.getWorkspaceDetail(auth, params.id));
