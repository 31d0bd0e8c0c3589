import { httpHandler } from '../kit/http';
import { recordUpload } from '../contracts/files';
import * as files from './service/files';

export const handler = httpHandler(recordUpload, async ({ auth, body }) => ({ file: await files.recordUpload(auth, body) }));
