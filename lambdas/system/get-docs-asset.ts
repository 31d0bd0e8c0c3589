import { httpHandler } from '../kit/http';
import { Reply } from '../kit/reply';
import { readAsset } from './service/api-reference';
import { docsAsset } from '../contracts/system';

export const handler = httpHandler(docsAsset, async ({ params }) => {
  const { body, contentType } = readAsset(params.asset);
  return Reply.raw(200, body, { 'content-type': contentType, 'cache-control': 'public, max-age=86400' });
});
