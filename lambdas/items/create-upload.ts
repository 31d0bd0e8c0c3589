import { httpHandler, Reply } from '../kit/http';
import { createUpload } from './contracts';
import * as uploads from './uploads';

export const handler = httpHandler(createUpload, async ({ auth, body }) => new Reply(201, await uploads.createUpload(auth, body)));
