import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { config } from '../../kit/config';
import { AppError } from '../../kit/errors';
import { allowList, blockedBy, isAllowed } from './address-guard';

/**
 * Server-side fetch of a client's `fileUrl`, guarded against SSRF: https only (plain http only to
 * allow-listed addresses), every address the host resolves to must be public (or allow-listed),
 * the connection goes to exactly the address that was checked (no second DNS lookup, so DNS
 * rebinding cannot swap it), redirects are followed by hand and each hop is checked the same way.
 */
const MAX_REDIRECTS = 5;
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

export const fetchRefused = (reason: string) => new AppError(400, 'FETCH_REFUSED', `fileUrl refused: ${reason}`);
export const fetchFailed = (reason: string) => new AppError(400, 'FETCH_FAILED', `fileUrl could not be fetched: ${reason}`);

export interface OpenedUrl {
  /** After redirects. */
  url: string;
  contentType?: string;
  contentLength?: number;
  body: IncomingMessage;
  /** Ends the fetch at its time limit, or when it falls below the minimum transfer rate. */
  signal: AbortSignal;
}

/** The reason a fetch was ended for sending too little, too slowly. */
class TooSlow extends Error {}

/**
 * Ends a fetch that receives fewer than `fetchMinBytesPerSecond` on average over a window of
 * `fetchRateWindowSeconds`, from the moment its connection opens (a server that never answers its
 * headers, or trickles its body, is as slow as any). Bytes are read off the socket, headers included.
 */
function watchRate(socket: Socket, slow: AbortController): void {
  const floor = config.fetchMinBytesPerSecond;
  if (!floor) return;
  const windowSeconds = config.fetchRateWindowSeconds;
  let seen = socket.bytesRead;
  const timer = setInterval(() => {
    const read = socket.bytesRead - seen;
    seen = socket.bytesRead;
    if (read < floor * windowSeconds)
      slow.abort(new TooSlow(`received ${read} bytes in ${windowSeconds} s; the minimum is ${floor} bytes/s`));
  }, windowSeconds * 1000);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}

interface Target {
  address: string;
  family: 4 | 6;
}

function parseUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fetchFailed(`${what} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fetchRefused(`${what} must be an https URL, not ${url.protocol}`);
  if (url.username || url.password) throw fetchRefused(`${what} must not carry credentials`);
  return url;
}

async function resolveTarget(url: URL): Promise<Target> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowed = allowList(config.fetchAllowedHosts);
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch (error) {
      throw fetchFailed(`cannot resolve ${host} (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`);
    }
  }
  if (!addresses.length) throw fetchFailed(`${host} has no address`);
  for (const { address } of addresses) {
    const rule = blockedBy(address);
    // the rule, never the address: a refusal must not tell what a host name resolves to
    if (rule && !isAllowed(allowed, address)) throw fetchRefused(`${host} is not a public address (rule: ${rule})`);
  }
  if (url.protocol === 'http:' && !addresses.every(({ address }) => isAllowed(allowed, address))) {
    throw fetchRefused(`only https URLs are accepted (${url.origin})`);
  }
  return { address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}

function send(url: URL, target: Target, signal: AbortSignal, slow: AbortController): Promise<IncomingMessage> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request({
      protocol: url.protocol,
      hostname: host,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { 'user-agent': 'Satchel (+fileUrl fetch)', accept: '*/*' },
      lookup: pinned,
      ...(isIP(host) ? {} : { servername: host }),
      agent: false,
      signal,
    });
    request.once('socket', (socket: Socket) => watchRate(socket, slow));
    request.once('response', resolve);
    request.once('error', reject);
    request.end();
  });
}

export function describeFetchError(error: unknown, url: URL, signal: AbortSignal): AppError {
  if (error instanceof AppError) return error;
  const e = error as NodeJS.ErrnoException;
  // an abort mid-body surfaces as a reset connection
  if (signal.reason instanceof TooSlow) return fetchFailed(`${url.host} sent too slowly: ${signal.reason.message}`);
  if (signal.aborted || e.name === 'AbortError' || e.name === 'TimeoutError')
    return fetchFailed(`${url.host} did not answer completely within the time limit`);
  // the code only: a message may carry the address connected to
  return fetchFailed(`${url.host}: ${e.code ?? 'the connection failed'}`);
}

/** Opens a URL (following redirects) up to the response headers; the caller reads or destroys `body`. */
export async function openUrl(raw: string, deadline: AbortSignal): Promise<OpenedUrl> {
  let url = parseUrl(raw, 'fileUrl');
  const slow = new AbortController();
  const signal = AbortSignal.any([deadline, slow.signal]);
  for (let hop = 0; ; hop++) {
    let response: IncomingMessage;
    try {
      response = await send(url, await resolveTarget(url), signal, slow);
    } catch (error) {
      throw describeFetchError(error, url, signal);
    }
    const status = response.statusCode ?? 0;
    if (REDIRECT_STATUS.has(status)) {
      response.destroy();
      if (hop >= MAX_REDIRECTS) throw fetchFailed(`more than ${MAX_REDIRECTS} redirects`);
      const location = response.headers.location;
      if (!location) throw fetchFailed(`redirect ${status} without a Location`);
      url = parseUrl(new URL(location, url).toString(), 'redirect target');
      continue;
    }
    if (status < 200 || status > 299) {
      response.destroy();
      throw fetchFailed(`${url.host} answered HTTP ${status}`);
    }
    const header = response.headers['content-length'];
    const contentLength = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
    if (contentLength !== undefined && contentLength > config.fetchMaxBytes) {
      response.destroy();
      throw fetchRefused(`the file is ${contentLength} bytes; the limit is ${config.fetchMaxBytes} bytes`);
    }
    return { url: url.toString(), contentType: response.headers['content-type'] || undefined, contentLength, body: response, signal };
  }
}

/** Reads a body whole, refusing more than `maxBytes`. */
export async function readCapped(opened: OpenedUrl, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of opened.body) {
      size += (part as Buffer).length;
      if (size > maxBytes) throw fetchRefused(`the file is larger than ${maxBytes} bytes`);
      parts.push(part as Buffer);
    }
  } catch (error) {
    opened.body.destroy();
    throw describeFetchError(error, new URL(opened.url), opened.signal);
  }
  return Buffer.concat(parts);
}

/** Within an API request: API Gateway gives up after 30 s, so answer before that. */
const IN_REQUEST_SECONDS = 20;

/** The signal that ends a fetch: the configured limit in the background, 20 s at most within a request. */
export const fetchDeadline = (withinRequest: boolean): AbortSignal =>
  AbortSignal.timeout(Math.min(config.fetchTimeoutSeconds, withinRequest ? IN_REQUEST_SECONDS : Infinity) * 1000);
