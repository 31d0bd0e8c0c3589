import { logger } from '../kit/observability';
import { sweepSandboxes } from './deployments';

/** Scheduled (lib/jobs.ts): stops expired sandboxes and terminates long-stopped ones. */
export const handler = async (): Promise<{ stopped: number; terminated: number }> => {
  const result = await sweepSandboxes();
  logger.info('sandbox sweep', result);
  return result;
};
