import { httpHandler } from '../kit/http';
import { listDeployments } from './contracts';
import * as deployments from './deployments';

export const handler = httpHandler(listDeployments, async ({ auth }) => ({ deployments: await deployments.listDeployments(auth) }));
