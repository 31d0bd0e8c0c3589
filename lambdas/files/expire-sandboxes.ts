import { jobHandler } from '../kit/job';
import { logger } from '../kit/observability';
import { sweepSandboxes } from './service/deployments';

/** Scheduled (lambdas/jobs.ts): stops expired sandboxes and terminates long-stopped ones. */
export const handler = jobHandler('files/expire-sandboxes', async (): Promise<{ stopped: number; terminated: number }> => {
  const result = await sweepSandboxes();
  logger.info('sandbox sweep', result);
  return result;
});
