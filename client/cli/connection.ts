import type { Command } from 'commander';
import { createSatchelClient } from '../sdk';
import { nodeTransport } from './api-transport';

/** Where every command finds the API: flags first, then SATCHEL_URL / SATCHEL_API_KEY, then the local runtime. */
export interface ConnectionFlags {
  url?: string;
  apiKey?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The base URL, checked: `127.0.0.1:3000` would otherwise fail later as "Invalid URL". */
export function baseUrlOf(flags: ConnectionFlags): string {
  const [url, source] = flags.url
    ? [flags.url, '--url']
    : process.env.SATCHEL_URL
      ? [process.env.SATCHEL_URL, 'SATCHEL_URL']
      : [DEFAULT_URL, 'the default URL'];
  if (!/^https?:\/\//i.test(url)) {
    throw new Error(`${source} ${JSON.stringify(url)} has no scheme: add http:// (or https://), e.g. http://${url.replace(/^\/+/, '')}`);
  }
  try {
    new URL(url);
  } catch {
    throw new Error(`${source} ${JSON.stringify(url)} is not a URL: give one like ${DEFAULT_URL}`);
  }
  return url;
}

export const connect = (flags: ConnectionFlags) =>
  createSatchelClient({ baseUrl: baseUrlOf(flags), apiKey: flags.apiKey ?? process.env.SATCHEL_API_KEY, transport: nodeTransport });

export const withConnection = (command: Command) =>
  command
    .option('--url <url>', `API base URL (default $SATCHEL_URL or ${DEFAULT_URL})`)
    .option('--api-key <key>', 'API key (default $SATCHEL_API_KEY)');

/** The client for a subcommand, from its own and its parents' connection flags. */
export const connectFrom = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());

/** Prints an API answer as indented JSON. */
export const printJson = (value: unknown) => console.log(JSON.stringify(value, null, 2));
