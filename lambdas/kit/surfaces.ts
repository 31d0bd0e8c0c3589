import type { AppError } from './errors';
import type { EnvelopeKind } from '../contracts/surfaces';

interface Envelope {
  success(data: unknown): unknown;
  error(error: AppError, requestId: string): unknown;
}

const codeAndMessage = (e: AppError, requestId: string) => ({
  code: e.code,
  message: e.message,
  ...(e.status >= 500 ? { requestId } : {}),
  ...e.details,
});

const successFlag: Envelope = {
  success: (data) => ({ success: true, data }),
  error: (e, requestId) => ({ success: false, error: codeAndMessage(e, requestId) }),
};

const bare: Envelope = {
  success: (data) => data,
  error: (e, requestId) => ({ error: e.message, ...(e.status >= 500 ? { requestId } : {}), ...e.details }),
};

/** Each surface keeps its own seed's wire format (see docs/api.md). */
export const ENVELOPES: Record<EnvelopeKind, Envelope> = {
  sync: {
    success: (data) => ({ data }),
    error: (e, requestId) => ({ error: codeAndMessage(e, requestId) }),
  },
  memory: successFlag,
  registry: bare,
  // seed 003 answers with flat bodies ({ success, path, message }); errors carry its codes
  items: {
    success: (data) => data,
    error: (e, requestId) => ({ success: false, error: codeAndMessage(e, requestId) }),
  },
  files: successFlag,
  system: bare,
  // refusals before the MCP server reads the message (no key, body too large, not JSON) as JSON-RPC errors
  mcp: {
    success: (data) => data,
    error: (e, requestId) => ({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: e.status >= 500 ? -32603 : -32600,
        message: e.message,
        data: { code: e.code, ...(e.status >= 500 ? { requestId } : {}) },
      },
    }),
  },
};
