import { sandboxLauncher, type SandboxResources } from '../../adapters/sandbox-launcher';
import type { AuthContext } from '../../kit/auth-context';
import { config } from '../../kit/config';
import { notFound, tooManyRequests } from '../../kit/errors';
import { logger } from '../../kit/observability';
import { claimSlot, releaseSlot, type SlotPool } from '../../kit/slots';
import { desktopHostPath, ensureDesktop, removeSandboxFolder } from './desktop';
import {
  type DeploymentItem,
  type DeploymentStatus,
  deleteDeploymentItem,
  deploymentKey,
  deploymentsTable,
  getDeploymentItem,
  markDeploymentRunning,
  markDeploymentStopped,
  markDeploymentTerminated,
  putDeploymentItem,
  queryDeployments,
  scanExpiredDeployments,
  tenantOfDeployment,
} from './store';
import { newDeploymentId } from '../../shared/file-names';

/**
 * Deployments: just enough of a resource for files to have somewhere to go (stored by store.ts).
 * Lifecycle: provisioning -> running -> stopped -> terminated. A running sandbox past its
 * `expiresAt` reads as stopped at once; the expiry job writes that down and, after the
 * retention period, removes the Desktop folder (terminated).
 */
export interface Deployment {
  id: string;
  name: string;
  status: DeploymentStatus;
  agent?: string;
  sandbox: { state: DeploymentStatus; desktopPath: string; expiresAt: string };
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_DURATION_MINUTES = 60;

const isLive = (status: DeploymentStatus) => status === 'provisioning' || status === 'running';
/** A live sandbox holds one of its tenant's slots until it stops or expires. */
const sandboxSlots = (): SlotPool => ({ table: deploymentsTable(), kind: 'sandboxes', cap: config.maxRunningSandboxes });

/** The status as of `now`: a live sandbox past its expiry is stopped even before the job writes it. */
export function effectiveStatus(item: Pick<DeploymentItem, 'status' | 'expiresAt'>, now = new Date()): DeploymentStatus {
  return isLive(item.status) && Date.parse(item.expiresAt) <= now.getTime() ? 'stopped' : item.status;
}

function toDeployment(tenant: string, item: DeploymentItem): Deployment {
  const status = effectiveStatus(item);
  return {
    id: item.id,
    name: item.name,
    status,
    ...(item.agent ? { agent: item.agent } : {}),
    sandbox: { state: status, desktopPath: config.sandboxDesktopPath ?? desktopHostPath(tenant, item.id), expiresAt: item.expiresAt },
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

const missing = (id: string) => notFound(`Deployment ${id} not found`);

async function loadItem(auth: AuthContext, id: string): Promise<DeploymentItem> {
  const item = await getDeploymentItem(auth.tenant, id);
  // an agent-bound key cannot even detect another agent's deployment
  if (!item || (auth.agent && item.agent !== auth.agent)) throw missing(id);
  return item;
}

export async function getDeployment(auth: AuthContext, id: string): Promise<Deployment> {
  return toDeployment(auth.tenant, await loadItem(auth, id));
}

/** Creates the record (provisioning), prepares the Desktop and starts the sandbox, then marks it running. */
export async function createDeployment(auth: AuthContext, input: { name: string; durationMinutes?: number }): Promise<Deployment> {
  const id = newDeploymentId();
  const now = new Date();
  const item: DeploymentItem = {
    ...deploymentKey(auth.tenant, id),
    id,
    name: input.name,
    status: 'provisioning',
    ...(auth.agent ? { agent: auth.agent } : {}),
    expiresAt: new Date(now.getTime() + (input.durationMinutes ?? DEFAULT_DURATION_MINUTES) * 60_000).toISOString(),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  const claim = await claimSlot(sandboxSlots(), auth.tenant, id, Math.floor(Date.parse(item.expiresAt) / 1000));
  if (!claim.claimed) {
    throw tooManyRequests(
      `This tenant already has ${config.maxRunningSandboxes} running sandboxes, the most it may have at once; stop one (POST /api/deployments/{id}/stop) or wait until one expires`,
      claim.freeInSeconds,
      'QUOTA_EXCEEDED',
    );
  }
  let started: SandboxResources;
  try {
    await putDeploymentItem(item);
    await ensureDesktop(auth.tenant, id);
    started = await sandboxLauncher().start({ tenant: auth.tenant, deploymentId: id, desktopSubpath: `${auth.tenant}/${id}/Desktop` });
  } catch (error) {
    // nothing half-made stays behind: no record of a sandbox that never started, no slot held for it
    await deleteDeploymentItem(auth.tenant, id).catch(() => undefined);
    await releaseSlot(sandboxSlots(), auth.tenant, id).catch((e: Error) =>
      logger.warn('sandbox slot not released', { deploymentId: id, error: e }),
    );
    throw error;
  }
  const running: DeploymentItem = { ...item, status: 'running', ...started, updatedAt: new Date().toISOString() };
  await markDeploymentRunning(auth.tenant, id, running.updatedAt, started);
  return toDeployment(auth.tenant, running);
}

export async function listDeployments(auth: AuthContext): Promise<Deployment[]> {
  const items = await queryDeployments(auth.tenant);
  return items
    .filter((item) => !auth.agent || item.agent === auth.agent)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((item) => toDeployment(auth.tenant, item));
}

/**
 * Moves a live sandbox to stopped (stopping its task, if one runs). Stopping a stopped or
 * terminated one changes nothing. `stoppedAt` is when it stopped: now, or its expiry if earlier.
 */
async function stopItem(tenant: string, item: DeploymentItem, reason: string): Promise<DeploymentItem> {
  if (!isLive(item.status)) return item;
  const now = new Date().toISOString();
  // biome-ignore lint/complexity/useMathMinMax: ISO timestamps compare as strings; Math.min would make them NaN
  const stoppedAt = item.expiresAt < now ? item.expiresAt : now;
  // false when someone else stopped it first: the result is the same
  await markDeploymentStopped(tenant, item.id, stoppedAt, now);
  if (item.taskArn || item.accessPointId) {
    await sandboxLauncher()
      .stop({ taskArn: item.taskArn, accessPointId: item.accessPointId }, reason)
      .catch((error: Error) => logger.warn('sandbox task or access point not released', { deploymentId: item.id, error }));
  }
  await releaseSlot(sandboxSlots(), tenant, item.id);
  return { ...item, status: 'stopped', stoppedAt, updatedAt: now };
}

export async function stopDeployment(auth: AuthContext, id: string): Promise<Deployment> {
  return toDeployment(auth.tenant, await stopItem(auth.tenant, await loadItem(auth, id), 'stopped through the API'));
}

/**
 * The scheduled sweep: stops live sandboxes past their expiry, and terminates (removes the
 * Desktop folder of) sandboxes stopped longer than the retention period. Files in S3 stay.
 */
export async function sweepSandboxes(now = new Date()): Promise<{ stopped: number; terminated: number }> {
  const cutoff = new Date(now.getTime() - config.sandboxRetentionHours * 3600_000).toISOString();
  let stopped = 0;
  let terminated = 0;
  for await (const item of scanExpiredDeployments(now.toISOString(), cutoff)) {
    const tenant = tenantOfDeployment(item);
    if (isLive(item.status)) {
      await stopItem(tenant, item, 'sandbox expired');
      stopped++;
    } else if (await terminate(tenant, item)) {
      terminated++;
    }
  }
  return { stopped, terminated };
}

async function terminate(tenant: string, item: DeploymentItem): Promise<boolean> {
  if (item.accessPointId) {
    // retried here in case stopping could not delete it; a sandbox is terminated only once it is gone
    try {
      await sandboxLauncher().stop({ accessPointId: item.accessPointId }, 'sandbox terminated');
    } catch (error) {
      logger.warn('access point not deleted; retried at the next sweep', { deploymentId: item.id, error: error as Error });
      return false;
    }
  }
  await removeSandboxFolder(tenant, item.id);
  return markDeploymentTerminated(tenant, item.id, new Date().toISOString());
}
