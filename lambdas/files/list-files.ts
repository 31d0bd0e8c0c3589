import { httpHandler } from '../kit/http';
import { listFiles } from './contracts';
import * as files from './file-records';

export const handler = httpHandler(listFiles, async ({ auth, query }) => ({ files: await files.listFiles(auth, query.deploymentId) }));
