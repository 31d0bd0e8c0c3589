import { httpHandler } from '../kit/http';
import { syncPull } from '../contracts/memory';
import { resolveScope } from './service/scope';
import { MAX_PULL_LIMIT, pullChanges } from './service/pull';
import { isKernleShaped, pullReply } from './service/wire';

/** Kernle reads one page per `sync pull`: its pages are as large as a response allows. */
export const handler = httpHandler(syncPull, async ({ auth, body }) => {
  const kernle = isKernleShaped(body);
  return pullReply(kernle, await pullChanges(resolveScope(auth, body), body, kernle ? MAX_PULL_LIMIT : undefined));
});
