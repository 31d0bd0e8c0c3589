import { httpHandler } from '../kit/http';
import { listFiles } from '../contracts/files';
import * as files from './service/files';

export const handler = httpHandler(listFiles, async ({ auth, query }) => ({ files: await files.listFiles(auth, query.deploymentId) }));
