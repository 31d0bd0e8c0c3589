import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';

/**
 * Requests to presigned S3 URLs over keep-alive connections, with node:http rather than fetch:
 * thousands of small transfers cost noticeably less CPU this way.
 */
const agents: Record<string, http.Agent> = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

export class TransferError extends Error {
  /** 4xx other than 429: retrying cannot help. */
  readonly permanent: boolean;

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.permanent = status < 500 && status !== 429;
  }
}

/** Receives the bytes of a transfer as they move, chunk by chunk. */
export type OnBytes = (bytes: number) => void;

/** A body longer than the bytes expected: cut off there, never kept (retrying cannot help). */
export class BodyTooLong extends Error {
  readonly permanent = true;

  constructor(expected: number) {
    super(`the server sent more than the ${expected} bytes expected`);
  }
}

/**
 * The whole body (listened to with events: an async iterator per response costs noticeably more
 * CPU). A body longer than `limit` bytes is cut off with BodyTooLong: a server cannot make the
 * client hold more than it expects.
 */
export function readBody(res: IncomingMessage, onBytes?: OnBytes, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return void res.destroy(new BodyTooLong(limit));
      chunks.push(chunk);
      onBytes?.(chunk.length);
    });
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    // a connection cut mid-body destroys the response with an error (ECONNRESET), never 'end'
    res.on('error', reject);
  });
}

const CHUNK = 256 * 1024;

/** Writes a body in chunks, each reported once the socket took it, waiting when the socket is full. */
function send(req: ClientRequest, body: Buffer, onBytes: OnBytes): void {
  let offset = 0;
  const next = () => {
    while (offset < body.length) {
      const chunk = body.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      if (!req.write(chunk, () => onBytes(chunk.length))) return void req.once('drain', next);
    }
    req.end();
  };
  next();
}

/** Sends one request; resolves with the response (body unread) when the status is 2xx, else throws. */
export function transfer(
  method: 'GET' | 'PUT',
  url: string,
  headers: Record<string, string>,
  body?: Buffer,
  onBytes?: OnBytes,
): Promise<IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = client.request(target, { method, headers, agent: agents[target.protocol] }, resolve);
    req.on('error', reject);
    if (body && onBytes) send(req, body, onBytes);
    else req.end(body);
  }).then(async (res) => {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const text = (await readBody(res)).toString('utf8');
    throw new TransferError(`${method} ${target.pathname} answered ${status}: ${text.slice(0, 300)}`, status);
  });
}
