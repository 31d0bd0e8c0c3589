import { httpHandler, Reply } from '../kit/http';
import { readAsset } from './api-reference';
import { docsAsset } from './contracts';

export const handler = httpHandler(docsAsset, async ({ params }) => {
  const { body, contentType } = readAsset(params.asset);
  return new Reply(200, body, { 'content-type': contentType, 'cache-control': 'public, max-age=86400' }, true);
});
