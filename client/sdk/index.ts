import { SatchelHttp, type SatchelClientOptions } from './http';
import { syncMethods } from './sync';

export { SatchelError, SatchelHttp, type SatchelClientOptions } from './http';

/**
 * The typed Satchel SDK: one flat client whose methods carry the seeds' names
 * (e.g. `syncRegister`, `syncPush`). Each surface contributes its methods from `client/sdk/<surface>.ts`.
 */
export function createSatchelClient(options: SatchelClientOptions) {
  const http = new SatchelHttp(options);
  return {
    http,
    // surfaces spread their methods here, e.g. ...registryMethods(http)
    ...syncMethods(http),
  };
}

export type SatchelClient = ReturnType<typeof createSatchelClient>;
