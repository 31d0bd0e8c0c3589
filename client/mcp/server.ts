import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { version } from '../../package.json';
import { SatchelError } from '../sdk';
import type { SatchelTool, ToolContext } from './tool';

/** The kit's codes for answers whose envelope carries none (the registry's `{ error }`, API Gateway's `{ message }`). */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'RESOURCE_NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_ERROR',
};

/**
 * A failed call as a tool error the model can read and act on, never a protocol error: the surface's
 * code and message. (No structuredContent: clients check it against the tool's output schema.)
 */
export function toolError(error: unknown): CallToolResult {
  if (error instanceof SatchelError) {
    const code = error.code ?? CODE_OF_STATUS[error.status] ?? (error.status ? `HTTP_${error.status}` : 'UNREACHABLE');
    return { isError: true, content: [{ type: 'text', text: `${code}: ${error.message}` }] };
  }
  return { isError: true, content: [{ type: 'text', text: error instanceof Error ? error.message : String(error) }] };
}

const INSTRUCTIONS =
  "Satchel is this agent's durable storage. Items (search_items, add_item, get_item, list_items, move_item, delete_item) hold documents " +
  'in scopes with lifetimes and semantic search; memory (memory_status, memory_push, memory_pull) holds long-term memory records; ' +
  'the registry (resolve_workspace, get_workspace) knows project workspaces; list_files, sync_files_to_sandbox and ' +
  "pull_files_from_sandbox move files of a deployment's sandbox. Errors come back as CODE: message.";

/** An MCP server offering `tools`, each call done through `context.client` (the typed SDK). */
export function createMcpServer(tools: SatchelTool[], context: ToolContext): McpServer {
  const server = new McpServer({ name: 'satchel', title: 'Satchel', version }, { instructions: INSTRUCTIONS });
  for (const t of tools) {
    server.registerTool(
      t.name,
      { title: t.title, description: t.description, inputSchema: t.input, outputSchema: t.output, annotations: t.annotations },
      async (args: unknown): Promise<CallToolResult> => {
        try {
          const { data, text } = await t.run(args as never, context);
          return { content: [{ type: 'text', text }], structuredContent: data as Record<string, unknown> };
        } catch (error) {
          return toolError(error);
        }
      },
    );
  }
  return server;
}
