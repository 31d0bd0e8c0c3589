import http, { type IncomingMessage } from 'node:http';
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
  constructor(
    message: string,
    /** 4xx other than 429: retrying cannot help. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sends one request; resolves with the response (body unread) when the status is 2xx, else throws. */
export function transfer(method: 'GET' | 'PUT', url: string, headers: Record<string, string>, body?: Buffer): Promise<IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = client.request(target, { method, headers, agent: agents[target.protocol] }, resolve);
    req.on('error', reject);
    req.end(body);
  }).then(async (res) => {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const text = (await readBody(res)).toString('utf8');
    throw new TransferError(`${method} ${target.pathname} answered ${status}: ${text.slice(0, 300)}`, status < 500 && status !== 429);
  });
}
