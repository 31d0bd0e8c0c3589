import { httpHandler } from '../kit/http';
import { updateWorkspace } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(updateWorkspace, async ({ auth, params, body }) => ({
  workspace: await registry.updateWorkspace(auth, params.id, body),
}));
