import { httpHandler } from '../kit/http';
import { syncFull } from '../contracts/memory';
import { resolveScope } from './service/scope';
import { fullSync } from './service/full';
import { fullReply } from './service/wire';

export const handler = httpHandler(syncFull, async ({ auth, body }) =>
  fullReply(await fullSync(resolveScope(auth, body), body, body.operations ?? [])),
);
