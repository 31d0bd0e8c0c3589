import * as z from 'zod';
import { contract } from './contract';
import { storableJson, storableNumber } from '../shared/storable';

/**
 * The registry's wire shapes (seed 002). Request bodies are closed (unknown fields are 400);
 * response shapes describe what the service returns.
 */

const text = z.string().max(1024);
const longText = z.string().max(100_000);
const path = z.string().max(4096);
const timestamp = z.string();
const names = z.array(text).max(256);
const stringMap = z.record(z.string().min(1).max(256), z.string().max(16_384));
/** Names of agents, skills, providers and workspaces; they become key segments and URL path segments. */
const componentName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/,
    'must be 1-128 letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit',
  );

export const workspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  root_dir: z.string(),
  add_dirs: z.array(z.string()),
  default_agent: z.string().optional(),
  sandbox_ref: z.string().optional(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type Workspace = z.output<typeof workspaceSchema>;

// ---- agents, skills, providers (the detail view's shapes) ----

const mcpAuth = z.strictObject({
  type: text.optional(),
  client_id: text.optional(),
  client_secret_ref: text.optional(),
  issuer_url: text.optional(),
  metadata_url: text.optional(),
  authorization_url: text.optional(),
  token_url: text.optional(),
  revocation_url: text.optional(),
  scopes: names.optional(),
});

const mcpServer = z.strictObject({
  name: text,
  transport: text.optional(),
  command: text.optional(),
  args: z.array(z.string().max(4096)).max(256).optional(),
  url: text.optional(),
  env: stringMap.optional(),
  /** Write-only: stored, answered with every value replaced by REDACTED. */
  secret_env: stringMap.optional(),
  auth: mcpAuth.optional(),
});

/** What `secret_env` values read as; sending it back in a PUT keeps the stored value. */
export const REDACTED = '[redacted]';

const agentFields = {
  command: text.optional(),
  model: text.optional(),
  provider: text.optional(),
  permissions: text.optional(),
  prompt: longText.optional(),
  tools: names.optional(),
  toolsets: names.optional(),
  deny_tools: names.optional(),
  mcp_servers: z.array(mcpServer).max(64).optional(),
};
const skillFields = { dir: path.optional(), source: text.optional() };
const providerFields = {
  display_name: text.optional(),
  harness: text.optional(),
  runtime_provider: text.optional(),
  default_model: text.optional(),
};

/** A PUT body may repeat the name, which must then match the path. */
const componentBody = <F extends z.ZodRawShape>(fields: F) => z.strictObject({ name: componentName.optional(), ...fields });
export const agentBody = componentBody(agentFields);
export const skillBody = componentBody(skillFields);
export const providerBody = componentBody(providerFields);

export const agentSchema = z.object({ name: z.string(), ...agentFields });
export const skillSchema = z.object({ name: z.string(), ...skillFields });
export const providerSchema = z.object({ name: z.string(), ...providerFields });
export type Agent = z.output<typeof agentSchema>;
export type Skill = z.output<typeof skillSchema>;
export type Provider = z.output<typeof providerSchema>;

// ---- sessions ----

/** Lifecycle of a session; every state but `stopped` counts as open, and `stopped` is final. */
export const SESSION_STATES = ['starting', 'running', 'idle', 'stopping', 'stopped'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

const count = z.number().int().min(0).max(1_000_000);

const acpCaps = z.strictObject({
  supported_models: names.optional(),
  supported_modes: names.optional(),
  supports_load_session: z.boolean().optional(),
});

const activity = z.strictObject({
  current_tool: text.optional(),
  elapsed_seconds: storableNumber().min(0).optional(),
  idle_seconds: storableNumber().min(0).optional(),
  iteration_current: count.optional(),
  iteration_max: count.optional(),
  last_activity_at: timestamp.optional(),
  last_activity_detail: longText.optional(),
  last_activity_kind: text.optional(),
  last_progress_at: timestamp.optional(),
  tool_call_id: text.optional(),
  turn_id: text.optional(),
  turn_source: text.optional(),
  turn_started_at: timestamp.optional(),
});

const health = z.strictObject({
  active_prompt: z.boolean().optional(),
  agent_name: text.optional(),
  attachable: z.boolean().optional(),
  eligible_for_wake: z.boolean().optional(),
  health: text.optional(),
  ineligibility_reason: text.optional(),
  last_activity_at: timestamp.optional(),
  last_error: longText.optional(),
  last_presence_at: timestamp.optional(),
  session_id: text.optional(),
  state: text.optional(),
  updated_at: timestamp.optional(),
  workspace_id: text.optional(),
});

const failure = z.strictObject({
  crash_bundle_path: path.optional(),
  kind: text.optional(),
  summary: longText.optional(),
});

const sandbox = z.strictObject({
  backend: text.optional(),
  instance_id: text.optional(),
  last_sync_error: longText.optional(),
  profile: text.optional(),
  /** Opaque to Satchel: whatever JSON the sandbox provider keeps. */
  provider_state_json: storableJson(z.unknown(), 1).optional(),
  sandbox_id: text.optional(),
  state: text.optional(),
});

const permissionPolicy = z.strictObject({
  mcp_servers: names.optional(),
  network_channels: names.optional(),
  sandbox_profiles: names.optional(),
  skills: names.optional(),
  tools: names.optional(),
  workspace_paths: z.array(path).max(256).optional(),
});

/** Limits on a session's descendants; absent or 0 means no limit (the zero value of the runtime's Go types). */
const spawnBudget = z.strictObject({
  max_active_per_workspace: count.optional(),
  max_children: count.optional(),
  max_depth: count.optional(),
  ttl_seconds: count.optional(),
});
export type SpawnBudget = z.output<typeof spawnBudget>;

/** What a client declares; `spawn_depth`, `root_session_id` and `ttl_expires_at` are derived. */
const lineageInput = z.strictObject({
  parent_session_id: text.optional(),
  spawn_budget: spawnBudget.optional(),
  spawn_role: text.optional(),
  auto_stop_on_parent: z.boolean().optional(),
  permission_policy: permissionPolicy.optional(),
});

const lineage = lineageInput.extend({
  root_session_id: z.string(),
  spawn_depth: z.number().int(),
  ttl_expires_at: timestamp.optional(),
});
export type Lineage = z.output<typeof lineage>;

const sessionState = z.enum(SESSION_STATES);
const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const sessionId = z
  .string()
  .regex(SESSION_ID_PATTERN, 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');

/** Fields a client sets on create and may change with PATCH (`null` clears an optional one there). */
const sessionFields = {
  name: text.optional(),
  provider: text.optional(),
  type: text.optional(),
  channel: text.optional(),
  acp_session_id: text.optional(),
  acp_caps: acpCaps.optional(),
  activity: activity.optional(),
  health: health.optional(),
  failure: failure.optional(),
  sandbox: sandbox.optional(),
  stop_reason: text.optional(),
  stop_detail: longText.optional(),
};

export const sessionSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  workspace_path: z.string(),
  agent_name: z.string().optional(),
  state: sessionState,
  lineage,
  created_at: timestamp,
  updated_at: timestamp,
  ...sessionFields,
});
export type Session = z.output<typeof sessionSchema>;

const createSessionBody = z.strictObject({
  id: sessionId.optional(),
  agent_name: text.optional(),
  state: sessionState.optional(),
  workspace_path: path.optional(),
  lineage: lineageInput.optional(),
  ...sessionFields,
});
export type CreateSessionInput = z.output<typeof createSessionBody>;

const clearable = <S extends z.ZodType>(schema: S) => schema.nullable().optional();
const updateSessionBody = z.strictObject({
  state: sessionState.optional(),
  name: clearable(text),
  provider: clearable(text),
  type: clearable(text),
  channel: clearable(text),
  acp_session_id: clearable(text),
  acp_caps: clearable(acpCaps),
  activity: clearable(activity),
  health: clearable(health),
  failure: clearable(failure),
  sandbox: clearable(sandbox),
  stop_reason: clearable(text),
  stop_detail: clearable(longText),
});
export type UpdateSessionInput = z.output<typeof updateSessionBody>;

// ---- endpoints ----

const idParams = z.strictObject({ id: z.string().min(1).max(4096) });
const componentParams = idParams.extend({ name: componentName });
const sessionParams = idParams.extend({ sessionId });
const workspaceName = z.string().max(128);
const addDirs = z.array(path).max(64);
const workspaceReply = z.object({ workspace: workspaceSchema });

export const listWorkspaces = contract({
  surface: 'registry',
  summary: 'List registered workspaces',
  response: z.object({ workspaces: z.array(workspaceSchema) }),
});

export const createWorkspace = contract({
  surface: 'registry',
  summary: 'Register a workspace (201; 409 when the name or root_dir is taken)',
  body: z.strictObject({
    root_dir: path,
    name: workspaceName.optional(),
    add_dirs: addDirs.optional(),
    default_agent: text.optional(),
    sandbox_ref: text.optional(),
  }),
  response: workspaceReply,
  successStatus: 201,
});
export type CreateWorkspaceInput = z.output<typeof createWorkspace.body>;

export const resolveWorkspace = contract({
  surface: 'registry',
  summary: 'Resolve a path to the workspace whose root holds it, or register the path as a new workspace',
  body: z.strictObject({ path }),
  response: workspaceReply,
});

export const getWorkspace = contract({
  surface: 'registry',
  summary: 'Get a workspace by id, URL-encoded root path or name, with its agents, providers, skills and sessions',
  params: idParams,
  response: z.object({
    workspace: workspaceSchema,
    agents: z.array(agentSchema),
    providers: z.array(providerSchema),
    skills: z.array(skillSchema),
    sessions: z.array(sessionSchema),
  }),
});

export const updateWorkspace = contract({
  surface: 'registry',
  summary: 'Update a registered workspace (only the fields given; empty default_agent or sandbox_ref clears it)',
  params: idParams,
  body: z.strictObject({
    name: workspaceName.optional(),
    add_dirs: addDirs.optional(),
    default_agent: text.optional(),
    sandbox_ref: text.optional(),
  }),
  response: workspaceReply,
});
export type UpdateWorkspaceInput = z.output<typeof updateWorkspace.body>;

export const deleteWorkspace = contract({
  surface: 'registry',
  summary: 'Delete a registered workspace with its agents, skills, providers and sessions (409 while a session is not stopped)',
  params: idParams,
  successStatus: 204,
});

const putComponent = <const K extends string, B extends z.ZodType, R extends z.ZodType>(kind: K, body: B, response: R) =>
  contract({
    surface: 'registry',
    summary: `Create or replace a ${kind} of a workspace`,
    params: componentParams,
    body,
    response: z.object({ [kind]: response } as { [P in K]: R }),
  });
const deleteComponent = (kind: string) =>
  contract({ surface: 'registry', summary: `Remove a ${kind} from a workspace`, params: componentParams, successStatus: 204 });

export const putAgent = putComponent('agent', agentBody, agentSchema);
export const deleteAgent = deleteComponent('agent');
export const putSkill = putComponent('skill', skillBody, skillSchema);
export const deleteSkill = deleteComponent('skill');
export const putProvider = putComponent('provider', providerBody, providerSchema);
export const deleteProvider = deleteComponent('provider');

export const listSessions = contract({
  surface: 'registry',
  summary: 'List the sessions of a workspace, oldest first',
  params: idParams,
  response: z.object({ sessions: z.array(sessionSchema) }),
});

export const createSession = contract({
  surface: 'registry',
  summary: 'Record a session of a workspace (409 beyond the parent session’s spawn budget)',
  params: idParams,
  body: createSessionBody,
  response: z.object({ session: sessionSchema }),
  successStatus: 201,
});

export const updateSession = contract({
  surface: 'registry',
  summary: 'Update a session (only the fields given; null clears one; a stopped session stays stopped)',
  params: sessionParams,
  body: updateSessionBody,
  response: z.object({ session: sessionSchema }),
});
