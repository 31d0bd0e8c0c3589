import { httpHandler } from '../kit/http';
import { createDeployment } from './contracts';
import * as deployments from './deployments';

export const handler = httpHandler(createDeployment, async ({ auth, body }) => ({ deployment: await deployments.createDeployment(auth, body) }));
