import { httpHandler } from '../kit/http';
import { createDeployment } from '../contracts/files';
import * as deployments from './service/deployments';

export const handler = httpHandler(createDeployment, async ({ auth, body }) => ({
  deployment: await deployments.createDeployment(auth, body),
}));
