import { httpHandler } from '../kit/http';
import { stopDeployment } from '../contracts/files';
import * as deployments from './service/deployments';

export const handler = httpHandler(stopDeployment, async ({ auth, params }) => ({
  deployment: await deployments.stopDeployment(auth, params.id),
}));
