import http from 'node:http';
import https from 'node:https';
import type { Transport } from '../sdk/http';
import { readBody } from './sync/transfer';

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
        text: async () => (await readBody(res)).toString('utf8'),
        discard: async () => void res.resume(),
      }),
    );
    req.on('error', reject);
    req.end(body);
  });
