import { filesMethods } from './files';
import { SatchelHttp, type SatchelClientOptions } from './http';
import { registryMethods } from './registry';
import { itemsMethods } from './items';
import { memoryMethods } from './memory';
import { syncMethods } from './sync';

export { SatchelError, SatchelHttp, type SatchelClientOptions } from './http';
export type { MemoryOperation, PulledOperation } from './memory';

/**
 * The typed Satchel SDK: one flat client whose methods carry the seeds' names
 * (e.g. `syncRegister`, `syncPush`). Each surface contributes its methods from `client/sdk/<surface>.ts`.
 */
export function createSatchelClient(options: SatchelClientOptions) {
  const http = new SatchelHttp(options);
  return {
    http,
    ...registryMethods(http),
    ...filesMethods(http),
    ...itemsMethods(http),
    ...memoryMethods(http),
    ...syncMethods(http),
  };
}

export type SatchelClient = ReturnType<typeof createSatchelClient>;
