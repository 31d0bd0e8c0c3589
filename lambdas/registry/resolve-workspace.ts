import { httpHandler } from '../kit/http';
import { resolveWorkspace } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(resolveWorkspace, async ({ auth, body }) => ({
  workspace: await registry.resolveWorkspace(auth.tenant, body.path),
}));
