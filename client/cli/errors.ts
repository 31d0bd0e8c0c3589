import { SatchelError } from '../sdk/http';

/**
 * How the CLI reports failures: one line in CLI terms (options and variables, never headers,
 * query parameters or wire fields), and a non-zero exit. A stack trace only with SATCHEL_DEBUG=1.
 */

const NAME_THE_AGENT = 'this API key acts for a whole tenant: name the agent with --agent <id> (or set SATCHEL_AGENT)';

/** Server messages about a missing or wrong agent or session, each surface in its own words. */
const REWRITES: [RegExp, string][] = [
  [/This API key is not bound to an agent: name one with the \S+ header or the agentId query parameter/, NAME_THE_AGENT],
  [/agent_id is required \(this API key is not bound to an agent\)/, NAME_THE_AGENT],
  [/scopeId is required for the agent scope.*/, NAME_THE_AGENT],
  [/scopeId is required for the session scope.*/, 'the session scope needs a session: name it with --session <id>'],
  [/toScopeId is required for the agent scope.*/, 'moving to the agent scope with a tenant-wide key: name the agent with --to-agent <id>'],
  [/toScopeId is required for the session scope.*/, 'moving to the session scope: name the session with --to-session <id>'],
  [
    /upload larger files \(POST [^)]*\) or give a fileUrl/,
    "`satchel items add <itemPath> <file>` uploads larger files (from a path or stdin) up to the server's item size cap, or use --file-url",
  ],
  [/stop one \(POST \/api\/deployments\/\{id\}\/stop\)/, 'stop one (satchel deployments stop <id>)'],
];

/** Wire fields the CLI sets from an option or an argument, by field name. */
const FIELD_TERMS: Record<string, string> = {
  agentId: '--agent',
  agent_id: '--agent',
  device_id: '--device',
  scope: '--scope',
  fromScope: '--scope',
  toScope: '--to-scope',
  durationMinutes: '--duration',
  fileName: '--name',
  mimeType: '--type',
  fileUrl: '--file-url',
  metadata: '--metadata',
  limit: '--limit',
  minScore: '--min-score',
  cursor: '--cursor',
  mode: '--mode',
  id: 'the deployment id',
  deploymentId: 'the deployment id',
  fileId: 'the file id',
  itemPath: 'the item path',
  fromPath: 'the item path',
  toPath: 'the destination path',
  operations: 'the operations',
  files: 'the file names',
  query: 'the query',
  name: 'the name',
};

/** `path.id: must be a deployment id; body.durationMinutes: Too big` -> `the deployment id: …; --duration: …`. */
function inCliTerms(message: string): string {
  for (const [pattern, replacement] of REWRITES) if (pattern.test(message)) return message.replace(pattern, replacement);
  return message.replace(/\b(?:path|query|body)\.([A-Za-z_]+)((?:\.[\w]+)*):/g, (_match, field: string, rest: string) => {
    const term = FIELD_TERMS[field];
    if (!term) return `${field}${rest}:`;
    return rest ? `${term} (${rest.slice(1)}):` : `${term}:`;
  });
}

/** The one line a user sees for a failure. */
export function describeError(error: unknown): string {
  if (error instanceof SatchelError) return inCliTerms(error.message);
  const e = error as NodeJS.ErrnoException;
  const path = e?.path ? ` ${e.path}` : '';
  switch (e?.code) {
    case 'ENOENT':
      return `no such file or folder:${path}`;
    case 'EISDIR':
      return `${path.trim() || 'the path'} is a folder; give a file`;
    case 'ENOTDIR':
      return `a part of${path} is a file, not a folder`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied:${path}`;
    case 'ENOSPC':
      return `no space left on the device${path && ` (writing${path})`}`;
  }
  return e?.message ?? String(error);
}

/** Ends the command: prints `satchel: <line>` on stderr and sets the exit code (1). */
export function reportFailure(error: unknown): void {
  console.error(`satchel: ${describeError(error)}`);
  if (process.env.SATCHEL_DEBUG && error instanceof Error && error.stack) console.error(error.stack);
  process.exitCode = 1;
}
