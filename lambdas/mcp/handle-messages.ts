import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createMcpServer } from '../../client/mcp/server';
import { REMOTE_TOOLS } from '../../client/mcp/tools/remote';
import { createSatchelClient } from '../../client/sdk';
import { routeInvoker } from '../adapters/route-invoker/select';
import { httpHandler } from '../kit/http';
import { Reply } from '../kit/reply';
import { serve } from '../contracts/mcp';
import { dispatchingFetch } from './service/dispatch';

/** Streamable HTTP wants both; every answer here is JSON, so a client that accepts only JSON is served too. */
const ACCEPT = 'application/json, text/event-stream';

/**
 * `POST /mcp`: one MCP server per request (stateless: no session outlives it, so it runs in Lambda),
 * answering in JSON. Its tools use the typed SDK, whose requests go to the routes' handlers with
 * this caller's auth context (dispatch.ts), not over the network.
 */
export const handler = httpHandler(serve, async ({ body, headers, auth, context }) => {
  const host = headers.host ?? 'localhost';
  const client = createSatchelClient({
    baseUrl: `https://${host}`,
    fetch: dispatchingFetch(auth, await routeInvoker(), context, host),
    retries: 2,
  });
  const server = createMcpServer(REMOTE_TOOLS, { client });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    const forwarded = new Headers({ 'content-type': 'application/json', accept: ACCEPT });
    const version = headers['mcp-protocol-version'];
    if (version) forwarded.set('mcp-protocol-version', version);
    const request = new Request(`https://${host}/mcp`, { method: 'POST', headers: forwarded, body: JSON.stringify(body) });
    const response = await transport.handleRequest(request, { parsedBody: body });
    const replyHeaders: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      replyHeaders[key] = value;
    });
    return Reply.raw(response.status, await response.text(), replyHeaders);
  } finally {
    await server.close();
  }
});
