import { httpHandler } from '../kit/http';
import { openapi } from './contracts';
import { buildOpenApiDocument } from './openapi-document';

let document: ReturnType<typeof buildOpenApiDocument> | undefined;

export const handler = httpHandler(openapi, async () => (document ??= buildOpenApiDocument()));
