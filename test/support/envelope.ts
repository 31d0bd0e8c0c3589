import { AppError } from '../../lambdas/kit/errors';
import { ENVELOPES } from '../../lambdas/kit/surfaces';
import type { EnvelopeKind } from '../../lambdas/contracts/surfaces';

/** Checks a response body against a surface's envelope as lambdas/kit/surfaces.ts produces it. */

const PAYLOAD = Symbol('payload');

/** Why `body` does not have the shape of `probe` (an envelope around PAYLOAD), or undefined when it has. */
function mismatch(probe: unknown, body: unknown, at: string): string | undefined {
  if (probe === PAYLOAD) return undefined;
  if (typeof probe === 'boolean') return body === probe ? undefined : `${at} should be ${probe}`;
  if (typeof probe === 'string' || typeof probe === 'number')
    return typeof body === typeof probe ? undefined : `${at} should be a ${typeof probe}`;
  if (probe && typeof probe === 'object') {
    if (!body || typeof body !== 'object') return `${at} should be an object`;
    for (const [key, value] of Object.entries(probe)) {
      if (!(key in body)) return `${at}.${key} is missing`;
      const inner = mismatch(value, (body as Record<string, unknown>)[key], `${at}.${key}`);
      if (inner) return inner;
    }
  }
  return undefined;
}

function payloadOf(probe: unknown, body: unknown): unknown {
  if (probe === PAYLOAD) return body;
  if (probe && typeof probe === 'object') {
    for (const [key, value] of Object.entries(probe)) {
      const found = payloadOf(value, (body as Record<string, unknown>)[key]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The payload inside a success envelope; throws naming what does not fit. */
export function unwrapSuccess(surface: EnvelopeKind, body: unknown): unknown {
  const probe = ENVELOPES[surface].success(PAYLOAD);
  const problem = mismatch(probe, body, 'body');
  if (problem) throw new Error(`not a ${surface} success envelope: ${problem}: ${JSON.stringify(body)}`);
  return payloadOf(probe, body);
}

/** Throws unless `body` is the surface's error envelope for `status`. */
export function assertErrorEnvelope(surface: EnvelopeKind, status: number, body: unknown): void {
  const probe = ENVELOPES[surface].error(new AppError(status, 'CODE', 'message'), 'request-id');
  const problem = mismatch(probe, body, 'body');
  if (problem) throw new Error(`not a ${surface} error envelope (${status}): ${problem}: ${JSON.stringify(body)}`);
}
