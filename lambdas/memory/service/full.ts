import type { ScopeRef } from './scope';
import { pullChanges, type PullOutcome, type PullRequest } from './pull';
import { pushOperations, type PushOutcome } from './push';

export interface FullSyncOutcome {
  pull: PullOutcome;
  push: PushOutcome;
  completedAt: Date;
}

/** Pull first (so the caller's own writes of this call are not echoed back in it), then push. */
export async function fullSync(scope: ScopeRef, pull: PullRequest, operations: unknown[]): Promise<FullSyncOutcome> {
  const pulled = await pullChanges(scope, { ...pull, full: false });
  const pushed = await pushOperations(scope, operations);
  return { pull: pulled, push: pushed, completedAt: new Date() };
}
