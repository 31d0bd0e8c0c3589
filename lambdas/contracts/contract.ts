import type { z } from 'zod';
import type { EnvelopeKind } from './surfaces';

/**
 * What one endpoint accepts and answers. Declared once per endpoint in its surface's
 * `contracts.ts`; the route table, the handler, the OpenAPI document and the SDK all use it.
 */
export interface Contract {
  surface: EnvelopeKind;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Shape of the success payload (inside the envelope), for the API description. */
  response?: z.ZodType;
  successStatus?: number;
  /** Caps the route enforces (docs/api.md, Quotas): over one, 429 in the surface's envelope with Retry-After. */
  quotas?: string[];
  /** When part of the work can fail while the rest is done: 207 Multi-Status with this body around the payload. */
  partialFailure?: { description: string; body: (payload: unknown) => unknown };
  /** Overrides the default body limit (config.maxBodyBytes). */
  maxBodyBytes?: number;
  /** Overrides the kit's nesting limit (MAX_BODY_NESTING): for a route that checks each item's
   * nesting itself and answers per item (memory push), so one deep item does not refuse the batch. */
  maxBodyNesting?: number;
}

export const contract = <const C extends Contract>(c: C): C => c;

type Part<C, K extends string> = C extends { [k in K]: infer S extends z.ZodType } ? z.output<S> : undefined;
export type ParamsOf<C> = Part<C, 'params'>;
export type QueryOf<C> = Part<C, 'query'>;
export type BodyOf<C> = Part<C, 'body'>;
export type ResponseOf<C> = Part<C, 'response'>;
