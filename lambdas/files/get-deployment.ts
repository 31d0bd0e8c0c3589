import { httpHandler } from '../kit/http';
import { getDeployment } from '../contracts/files';
import * as deployments from './service/deployments';

export const handler = httpHandler(getDeployment, async ({ auth, params }) => ({
  deployment: await deployments.getDeployment(auth, params.id),
}));
