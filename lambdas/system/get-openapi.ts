import { httpHandler } from '../kit/http';
import { openapi } from '../contracts/system';
import { buildOpenApiDocument } from './service/openapi-document';

let document: ReturnType<typeof buildOpenApiDocument> | undefined;

export const handler = httpHandler(openapi, async () => (document ??= buildOpenApiDocument()));
