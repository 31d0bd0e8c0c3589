import { httpHandler } from '../kit/http';
import { getDeployment } from './contracts';
import * as deployments from './deployments';

export const handler = httpHandler(getDeployment, async ({ auth, params }) => ({ deployment: await deployments.getDeployment(auth, params.id) }));
