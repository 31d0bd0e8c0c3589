import { httpHandler } from '../kit/http';
import { listDeployments } from '../contracts/files';
import * as deployments from './service/deployments';

export const handler = httpHandler(listDeployments, async ({ auth }) => ({ deployments: await deployments.listDeployments(auth) }));
