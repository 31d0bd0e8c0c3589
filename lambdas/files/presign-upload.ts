import { httpHandler } from '../kit/http';
import { presignUpload } from '../contracts/files';
import * as files from './service/files';

export const handler = httpHandler(presignUpload, async ({ auth, body }) => files.presignUpload(auth, body));
