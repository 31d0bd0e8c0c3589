import { httpHandler } from '../kit/http';
import { createWorkspace } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(createWorkspace, async ({ auth, body }) => ({
  workspace: await registry.createWorkspace(auth.tenant, body),
}));
