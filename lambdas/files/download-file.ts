import { httpHandler } from '../kit/http';
import { downloadFile } from '../contracts/files';
import * as files from './service/files';

export const handler = httpHandler(downloadFile, async ({ auth, query }) => files.downloadUrl(auth, query.fileId));
