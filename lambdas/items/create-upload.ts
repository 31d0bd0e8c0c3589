import { httpHandler } from '../kit/http';
import { Reply } from '../kit/reply';
import { createUpload } from '../contracts/items';
import * as uploads from './service/uploads';

export const handler = httpHandler(createUpload, async ({ auth, body }) => Reply.created(await uploads.createUpload(auth, body)));
