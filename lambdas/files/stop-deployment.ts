import { httpHandler } from '../kit/http';
import { stopDeployment } from './contracts';
import * as deployments from './deployments';

export const handler = httpHandler(stopDeployment, async ({ auth, params }) => ({ deployment: await deployments.stopDeployment(auth, params.id) }));
