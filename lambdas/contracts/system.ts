import * as z from 'zod';
import { contract } from './contract';

export const health = contract({
  surface: 'system',
  summary: 'Liveness check (no auth)',
  response: z.object({ status: z.literal('ok') }),
});

export const openapi = contract({ surface: 'system', summary: 'This API, as an OpenAPI 3.1 document (no auth)' });

export const docs = contract({ surface: 'system', summary: 'Interactive API reference (no auth)' });

export const docsAsset = contract({
  surface: 'system',
  summary: 'Static asset of the API reference (no auth)',
  params: z.object({ asset: z.string().meta({ examples: ['swagger-ui.css'] }) }),
});
