import { httpHandler } from '../kit/http';
import { recordUpload } from './contracts';
import * as files from './file-records';

export const handler = httpHandler(recordUpload, async ({ auth, body }) => ({ file: await files.recordUpload(auth, body) }));
