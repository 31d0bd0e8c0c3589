import { httpHandler, Reply } from '../kit/http';
import { DOCS_HTML } from './api-reference';
import { docs } from './contracts';

export const handler = httpHandler(docs, async () =>
  new Reply(200, DOCS_HTML, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }, true),
);
