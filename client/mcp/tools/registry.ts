import * as z from 'zod';
import * as contracts from '../../../lambdas/contracts/registry';
import { READ_ONLY, tool, WRITES } from '../tool';

/** The workspace registry (seed 002): project roots with their agents, skills, providers and sessions. */

export const REGISTRY_TOOLS = [
  tool({
    name: 'resolve_workspace',
    title: 'Resolve a workspace',
    description:
      'Finds the registered workspace whose root directory holds an absolute path (e.g. the current working directory), or registers ' +
      'the path as a new workspace when none does. Safe to call repeatedly: it never creates duplicates. Use the returned id or name ' +
      'with get_workspace.',
    input: contracts.resolveWorkspace.body,
    output: contracts.resolveWorkspace.response,
    annotations: { ...WRITES, idempotentHint: true },
    async run(args, context) {
      const workspace = await context.client.resolveWorkspace(args.path);
      return { data: { workspace }, text: `workspace ${workspace.name} (${workspace.id}) at ${workspace.root_dir}` };
    },
  }),
  tool({
    name: 'get_workspace',
    title: 'Get a workspace',
    description:
      'Reads one registered workspace with its agents, providers, skills and sessions. id may be the workspace id, its absolute root ' +
      'directory or its name.',
    input: z.object({ id: contracts.getWorkspace.params.shape.id.describe('Workspace id, absolute root directory or name') }),
    output: contracts.getWorkspace.response,
    annotations: READ_ONLY,
    async run(args, context) {
      const data = await context.client.getWorkspace(args.id);
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      return {
        data,
        text:
          `workspace ${data.workspace.name} (${data.workspace.id}) at ${data.workspace.root_dir}: ` +
          [
            count(data.agents.length, 'agent'),
            count(data.skills.length, 'skill'),
            count(data.providers.length, 'provider'),
            count(data.sessions.length, 'session'),
          ].join(', '),
      };
    },
  }),
];
