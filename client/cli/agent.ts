import type { Command } from 'commander';

/**
 * The one way to name the agent a command acts for, on every surface: `--agent <id>`, else
 * SATCHEL_AGENT. A key bound to an agent needs neither (it acts for its own agent).
 */
export const withAgent = (command: Command, what = 'agent to act for') =>
  command.option('--agent <id>', `${what} (default $SATCHEL_AGENT; not needed with a key bound to an agent)`);

/** The agent named by `--agent` (on the command or a parent) or SATCHEL_AGENT; undefined when neither is set. */
export function agentFrom(command: Command): string | undefined {
  const { agent } = command.optsWithGlobals<{ agent?: string }>();
  return agent || process.env.SATCHEL_AGENT || undefined;
}
