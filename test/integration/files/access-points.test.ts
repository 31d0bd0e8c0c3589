import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxResources } from '../../../lambdas/adapters/sandbox-launcher';
import type { AuthContext } from '../../../lambdas/kit/auth-context';
import { config } from '../../../lambdas/kit/config';
import { uniqueTenant } from '../../support/api';
import { testApiOnOwnTable } from '../../support/own-table';

/**
 * What a deployment does with its sandbox's AWS resources (ECS task, EFS access point), with the
 * launcher scripted (ECS and EFS have no local twin) and the deployments service on DynamoDB Local
 * (the local server loads its own copy of the modules, so the service is called directly): the access point is kept on the deployment, released when the sandbox stops or
 * expires, and released again before termination when that failed.
 */

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-access-points-'));

const mockReleased: { resources: SandboxResources; reason: string }[] = [];
/** Access points whose next delete fails. */
const mockFailOnce = new Set<string>();
jest.mock('../../../lambdas/adapters/sandbox-launcher', () => ({
  sandboxLauncher: () => ({
    start: async ({ deploymentId }: { deploymentId: string }) => ({
      taskArn: `arn:aws:ecs:task/${deploymentId}`,
      accessPointId: `fsap-${deploymentId}`,
    }),
    stop: async (resources: SandboxResources, reason: string) => {
      mockReleased.push({ resources, reason });
      if (resources.accessPointId && mockFailOnce.delete(resources.accessPointId)) throw new Error('ThrottlingException');
    },
  }),
}));

// after the mock: this project's transform (esbuild) does not hoist jest.mock above imports
const { createDeployment, getDeployment, stopDeployment, sweepSandboxes } =
  require('../../../lambdas/files/service/deployments') as typeof import('../../../lambdas/files/service/deployments');

// the sweeps below move the clock past the retention: on the shared table they would terminate the
// sandboxes of every other test file running at the same time
testApiOnOwnTable('deployments');
beforeEach(() => (mockReleased.length = 0));

const owner = (): AuthContext => ({ tenant: uniqueTenant(), surfaces: ['files'], keyId: 'k1' });
const releasedFor = (id: string) => mockReleased.filter((r) => r.resources.accessPointId === `fsap-${id}`);

it('stopping a sandbox stops its task and deletes its access point', async () => {
  const auth = owner();
  const { id } = await createDeployment(auth, { name: 'ap' });
  expect((await stopDeployment(auth, id)).status).toBe('stopped');
  expect(releasedFor(id)).toEqual([
    { resources: { taskArn: `arn:aws:ecs:task/${id}`, accessPointId: `fsap-${id}` }, reason: 'stopped through the API' },
  ]);
  // stopping again changes nothing and releases nothing twice
  await stopDeployment(auth, id);
  expect(releasedFor(id)).toHaveLength(1);
});

it('an expired sandbox releases its access point; termination deletes it again and waits while that fails', async () => {
  const auth = owner();
  const { id } = await createDeployment(auth, { name: 'ap', durationMinutes: 1 });
  await sweepSandboxes(new Date(Date.now() + 2 * 60_000));
  expect(releasedFor(id)).toEqual([
    { resources: { taskArn: `arn:aws:ecs:task/${id}`, accessPointId: `fsap-${id}` }, reason: 'sandbox expired' },
  ]);

  const afterRetention = new Date(Date.now() + (config.sandboxRetentionHours * 3600 + 180) * 1000);
  mockFailOnce.add(`fsap-${id}`);
  await sweepSandboxes(afterRetention);
  const status = async () => (await getDeployment(auth, id)).status;
  expect(await status()).toBe('stopped'); // the access point could not be deleted: not terminated yet
  await sweepSandboxes(afterRetention);
  expect(await status()).toBe('terminated');
  expect(releasedFor(id).slice(1)).toEqual([
    { resources: { accessPointId: `fsap-${id}` }, reason: 'sandbox terminated' },
    { resources: { accessPointId: `fsap-${id}` }, reason: 'sandbox terminated' },
  ]);
});
