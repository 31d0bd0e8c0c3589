import * as z from 'zod';
import { contract } from '../kit/contract';

export const workspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  root_dir: z.string(),
  add_dirs: z.array(z.string()),
  default_agent: z.string().optional(),
  sandbox_ref: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});

const idParams = z.strictObject({ id: z.string().min(1).max(4096) });
const optionalText = z.string().max(1024);

export const listWorkspaces = contract({
  surface: 'registry',
  summary: 'List registered workspaces',
  response: z.object({ workspaces: z.array(workspaceSchema) }),
});

export const createWorkspace = contract({
  surface: 'registry',
  summary: 'Register a workspace',
  body: z.strictObject({
    root_dir: z.string().max(4096),
    name: optionalText.optional(),
    add_dirs: z.array(z.string().max(4096)).max(256).optional(),
    default_agent: optionalText.optional(),
    sandbox_ref: optionalText.optional(),
  }),
  response: z.object({ workspace: workspaceSchema }),
  successStatus: 201,
});

export const resolveWorkspace = contract({
  surface: 'registry',
  summary: 'Resolve or register a workspace from a path',
  body: z.strictObject({ path: z.string().max(4096) }),
  response: z.object({ workspace: workspaceSchema }),
});

export const getWorkspace = contract({
  surface: 'registry',
  summary: 'Get a workspace by id, URL-encoded root path or name, with its agents, providers, skills and sessions',
  params: idParams,
  response: z.object({
    workspace: workspaceSchema,
    agents: z.array(z.record(z.string(), z.unknown())),
    providers: z.array(z.record(z.string(), z.unknown())),
    skills: z.array(z.record(z.string(), z.unknown())),
    sessions: z.array(z.record(z.string(), z.unknown())),
  }),
});

export const updateWorkspace = contract({
  surface: 'registry',
  summary: 'Update a registered workspace (only the fields given)',
  params: idParams,
  body: z.strictObject({
    name: optionalText.optional(),
    add_dirs: z.array(z.string().max(4096)).max(256).optional(),
    default_agent: optionalText.optional(),
    sandbox_ref: optionalText.optional(),
  }),
  response: z.object({ workspace: workspaceSchema }),
});

export const deleteWorkspace = contract({
  surface: 'registry',
  summary: 'Delete a registered workspace (409 while it has sessions that are not stopped)',
  params: idParams,
  successStatus: 204,
});
