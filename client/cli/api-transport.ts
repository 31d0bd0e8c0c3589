import http from 'node:http';
import https from 'node:https';
import type { Transport } from '../sdk/http';
import { BodyTooLong, readBody } from './sync/transfer';

/**
 * Far above any answer of the API (Lambda answers at most 6 MB): a server sending more is not
 * Satchel, and is not read into memory.
 */
export const ANSWER_MAX_BYTES = 64 * 1024 * 1024;

const answerOf = (res: http.IncomingMessage) =>
  readBody(res, undefined, ANSWER_MAX_BYTES).then(
    (bytes) => bytes.toString('utf8'),
    (error: unknown) => {
      if (!(error instanceof BodyTooLong)) throw error;
      throw new Error(
        `the server's answer is larger than any Satchel answer (over ${ANSWER_MAX_BYTES / 1024 / 1024} MiB): check the server address (--url)`,
      );
    },
  );

const agents: Record<string, http.Agent> = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * The API requests of every command over node:http with keep-alive connections. The global fetch
 * loads Node's bundled undici on its first call: 40–90 ms before a command's first request leaves.
 */
export const nodeTransport: Transport = ({ method, url, headers, body }) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    // node:http sends no length for a DELETE's body unless told (fetch does)
    const sized = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = client.request(target, { method, headers: sized, agent: agents[target.protocol] }, (res) =>
      resolve({
        status: res.statusCode ?? 0,
        header: (name) => {
          const value = res.headers[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
        text: () => answerOf(res),
        discard: async () => void res.resume(),
      }),
    );
    req.on('error', reject);
    req.end(body);
  });
