import { httpHandler } from '../kit/http';
import { syncPush } from '../contracts/memory';
import { resolveScope } from './service/scope';
import { pushOperations } from './service/push';
import { isKernleShaped, pushReply } from './service/wire';

export const handler = httpHandler(syncPush, async ({ auth, body }) =>
  pushReply(isKernleShaped(body), await pushOperations(resolveScope(auth, body), body.operations, body.limit)),
);
