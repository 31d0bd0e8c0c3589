/**
 * Names of the two stacks and of their outputs. The CLI imports these to find a deployed
 * stack's tables (`--stack NAME --region R`), so they are part of the contract: do not rename.
 */
import type { TableId } from '../lambdas/kit/data-model';

export const STACK_NAMES = { data: 'SatchelData', api: 'SatchelApi' } as const;

/** Base URL of the HTTP API (no trailing slash). Output of the API stack. */
export const API_URL_OUTPUT = 'ApiUrl';
/** Physical bucket name. Output of both stacks. */
export const BUCKET_NAME_OUTPUT = 'BucketName';
/** Physical table name, e.g. `apiKeys` -> `TableApiKeys`. Output of both stacks. */
export const tableOutput = (id: TableId): string => `Table${id.charAt(0).toUpperCase()}${id.slice(1)}`;
/** HTTPS endpoint of the vector index (OpenSearch domain or serverless collection). Output of the data stack. */
export const VECTOR_ENDPOINT_OUTPUT = 'VectorEndpoint';
