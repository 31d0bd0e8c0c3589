import * as z from 'zod';
import { contract } from './contract';

/** The Model Context Protocol over Streamable HTTP, stateless: JSON-RPC in, JSON-RPC out (docs/mcp.md). */

/** Largest `POST /mcp` body: base64 in the invocation of the tool's route, it stays under Lambda's 6 MB. */
export const MCP_MAX_BODY_BYTES = 4 * 1024 * 1024;

// JSON-RPC ids are strings or integers: the MCP SDK refuses a fractional id without the error data of our envelope
const id = z.union([z.string().max(256), z.number().int()]);
/** The MCP server checks each message in full; this is the envelope a body must have to reach it. */
const message = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: id.optional(),
  method: z.string().max(256).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
const reply = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: id.nullable(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
});

export const serve = contract({
  surface: 'mcp',
  summary:
    "Model Context Protocol (Streamable HTTP, stateless, JSON responses): Satchel's tools for agents; every tool call acts with this key's tenant, agent and surfaces",
  // one message per request: MCP 2025-06-18 dropped JSON-RPC batches
  body: message.meta({ examples: [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }] }),
  response: reply,
  // a tool call's arguments go on to one route in one synchronous Lambda invocation (at most 6 MB, body base64)
  maxBodyBytes: MCP_MAX_BODY_BYTES,
});

export const stream = contract({
  surface: 'mcp',
  summary: 'No server-to-client stream: answers 405, as Streamable HTTP lets a server that sends none (POST /mcp answers every request)',
});
