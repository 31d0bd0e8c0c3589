import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { createMcpServer } from '../../mcp/server';
import { REMOTE_TOOLS } from '../../mcp/tools/remote';
import { WORKSPACE_SYNC_TOOLS } from '../../mcp/tools/workspace-sync';
import { agentFrom, withAgent } from '../agent';
import { connect, withConnection, type ConnectionFlags } from '../connection';

/** `satchel mcp`: Satchel's tools for an MCP client (Claude Code, Cursor, agent frameworks) over stdio. */
export function registerMcp(program: Command): void {
  withAgent(withConnection(program.command('mcp')), 'agent the tools act for when a call names none')
    .description(
      'Serve Satchel as MCP tools over stdio (items, memory, workspace sync, registry, deployment files); started by an MCP client',
    )
    .action(async (flags: ConnectionFlags, command: Command) => {
      const server = createMcpServer([...REMOTE_TOOLS, ...WORKSPACE_SYNC_TOOLS], { client: connect(flags), agent: agentFrom(command) });
      // stdout now carries the protocol; anything else goes to stderr
      await server.connect(new StdioServerTransport());
    });
}
