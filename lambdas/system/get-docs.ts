import { httpHandler } from '../kit/http';
import { Reply } from '../kit/reply';
import { DOCS_HTML } from './service/api-reference';
import { docs } from '../contracts/system';

export const handler = httpHandler(docs, async () =>
  Reply.raw(200, DOCS_HTML, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }),
);
