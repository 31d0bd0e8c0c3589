import { httpHandler } from '../kit/http';
import { downloadFile } from './contracts';
import * as files from './file-records';

export const handler = httpHandler(downloadFile, async ({ auth, query }) => files.downloadUrl(auth, query.fileId));
