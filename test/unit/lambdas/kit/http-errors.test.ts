import type { Context } from 'aws-lambda';
import { contract } from '../../../../lambdas/contracts/contract';
import { AppError } from '../../../../lambdas/kit/errors';
import { httpHandler, type HttpEvent } from '../../../../lambdas/kit/http';
import type { EnvelopeKind } from '../../../../lambdas/contracts/surfaces';
import { lambdaContext } from '../../../../local/server';

/**
 * A 5xx is our fault or a dependency's (docs/api.md, Errors): the kit answers 500 INTERNAL_ERROR in the
 * surface's envelope with the request id that is in the function's log, and nothing of the failure
 * itself (message, stack, names, paths). Handlers here fail the way real ones do.
 */
const SECRET = 'Requested resource not found: Table: satchel-manifests-secret not found at /var/task/lambdas/items/service/store.ts:42';

function awsFailure(): Error {
  const error = new Error(SECRET);
  error.name = 'ResourceNotFoundException';
  (error as Error & { $metadata: unknown }).$metadata = { httpStatusCode: 400, requestId: 'DDB-REQ-1' };
  return error;
}

function event(requestId: string): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'GET /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      requestId,
      authorizer: { lambda: { tenant: 't-errors', keyId: 'key_1', surfaces: 'sync,memory,registry,items,files' } },
    },
  } as unknown as HttpEvent;
}

async function invoke(surface: EnvelopeKind, fail: () => Promise<unknown>, requestId = 'req-500-abc', withEvent = event(requestId)) {
  const handler = httpHandler(contract({ surface, summary: 'fails' }), fail);
  const context: Context = lambdaContext(undefined, `lambda-${requestId}`);
  const logged: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
  const writeErr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
  try {
    const result = await handler(withEvent, context);
    return { result, body: JSON.parse(result.body as string) as unknown, raw: result.body as string, logged: logged.join('') };
  } finally {
    write.mockRestore();
    writeErr.mockRestore();
  }
}

const ENVELOPES: [EnvelopeKind, (requestId: string) => unknown][] = [
  ['sync', (id) => ({ error: { code: 'INTERNAL_ERROR', message: `Internal error (request id ${id})`, requestId: id } })],
  ['memory', (id) => ({ success: false, error: { code: 'INTERNAL_ERROR', message: `Internal error (request id ${id})`, requestId: id } })],
  ['registry', (id) => ({ error: `Internal error (request id ${id})`, requestId: id })],
  ['items', (id) => ({ success: false, error: { code: 'INTERNAL_ERROR', message: `Internal error (request id ${id})`, requestId: id } })],
  ['files', (id) => ({ success: false, error: { code: 'INTERNAL_ERROR', message: `Internal error (request id ${id})`, requestId: id } })],
  ['system', (id) => ({ error: `Internal error (request id ${id})`, requestId: id })],
  [
    'mcp',
    (id) => ({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32603, message: `Internal error (request id ${id})`, data: { code: 'INTERNAL_ERROR', requestId: id } },
    }),
  ],
];

describe('an unexpected failure is a 500 in the surface envelope, with the request id and nothing internal', () => {
  it.each(ENVELOPES)('%s', async (surface, expected) => {
    const { result, body, raw, logged } = await invoke(surface, async () => {
      throw awsFailure();
    });
    expect(result.statusCode).toBe(500);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8' });
    expect(body).toEqual(expected('req-500-abc'));
    expect(raw).not.toMatch(/ResourceNotFound|satchel-manifests|\/var\/task|entries\.ts|DDB-REQ|\bat \w/);
    // the same id is in the function's log, next to what really happened
    const line = logged.split('\n').find((l) => l.includes('request failed'));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({
      level: 'ERROR',
      requestId: 'req-500-abc',
      error: expect.objectContaining({ message: SECRET }),
    });
  });
});

it('takes the Lambda request id when the event carries none', async () => {
  const bare = event('unused');
  delete (bare.requestContext as { requestId?: string }).requestId;
  const { result, body, raw } = await invoke(
    'memory',
    async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'items')");
    },
    'req-9',
    bare,
  );
  expect(result.statusCode).toBe(500);
  expect(body).toEqual({
    success: false,
    error: { code: 'INTERNAL_ERROR', message: 'Internal error (request id lambda-req-9)', requestId: 'lambda-req-9' },
  });
  expect(raw).not.toMatch(/TypeError|reading 'items'/);
});

it('answers what is thrown that is not an Error (a string, undefined) the same way', async () => {
  for (const thrown of ['disk full at /home/satchel', undefined]) {
    const { result, body, raw } = await invoke(
      'files',
      async () => {
        throw thrown;
      },
      'req-odd',
    );
    expect(result.statusCode).toBe(500);
    expect(body).toEqual({
      success: false,
      error: { code: 'INTERNAL_ERROR', message: 'Internal error (request id req-odd)', requestId: 'req-odd' },
    });
    expect(raw).not.toContain('/home/satchel');
  }
});

it("a dependency's 5xx AppError keeps its status and message and gains the request id", async () => {
  const { result, body } = await invoke(
    'items',
    async () => {
      throw new AppError(503, 'SERVICE_UNAVAILABLE', 'The search index is unavailable; try again shortly', undefined, {
        'retry-after': '5',
      });
    },
    'req-503',
  );
  expect(result.statusCode).toBe(503);
  expect(result.headers).toMatchObject({ 'retry-after': '5' });
  expect(body).toEqual({
    success: false,
    error: { code: 'SERVICE_UNAVAILABLE', message: 'The search index is unavailable; try again shortly', requestId: 'req-503' },
  });
});
