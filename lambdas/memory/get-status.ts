import { httpHandler } from '../kit/http';
import { syncStatus } from '../contracts/memory';
import { resolveScope } from './service/scope';
import * as memory from './service/status';

export const handler = httpHandler(syncStatus, async ({ auth, query }) => memory.syncStatus(resolveScope(auth, query)));
