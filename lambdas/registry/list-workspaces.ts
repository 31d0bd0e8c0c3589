import { httpHandler } from '../kit/http';
import { listWorkspaces } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(listWorkspaces, async ({ auth }) => ({ workspaces: await registry.listWorkspaces(auth.tenant) }));
