import { httpHandler } from '../kit/http';
import { presignUpload } from './contracts';
import * as files from './file-records';

export const handler = httpHandler(presignUpload, async ({ auth, body }) => files.presignUpload(auth, body));
