import { BUCKET_ENV_VAR, DEFAULT_SCOPE_TTL_SECONDS, tableEnvVar, type TableId } from './data-model';

/** Every environment variable Satchel reads is read here. Values are looked up lazily, so a
 * function only needs the variables of what it touches, and a missing one fails loudly. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
}

function optional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A whole number ≥ `min` from the environment, or the default; anything else fails loudly. */
function wholeNumber(name: string, fallback: number, min = 1): number {
  const value = optional(name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`${name} must be a whole number ≥ ${min}, not ${value}`);
  return parsed;
}

export const config = {
  tableName: (id: TableId): string => required(tableEnvVar(id)),
  /** A table's name when its variable is set; the CLI falls back to the local runtime's names. */
  configuredTableName: (id: TableId): string | undefined => optional(tableEnvVar(id)),
  get bucketName(): string {
    return required(BUCKET_ENV_VAR);
  },
  /** Powertools: the service name on every log line and trace, the metrics namespace, tracing off (the local runtime). */
  get powertoolsServiceName(): string {
    return optional('POWERTOOLS_SERVICE_NAME') ?? 'satchel';
  },
  get powertoolsMetricsNamespace(): string {
    return optional('POWERTOOLS_METRICS_NAMESPACE') ?? 'Satchel';
  },
  get tracingEnabled(): boolean {
    return optional('POWERTOOLS_TRACE_ENABLED') !== 'false';
  },
  /** The managed OpenSearch domain the index custom resource waits for (unset for a serverless collection). */
  get openSearchDomainName(): string {
    return required('OPENSEARCH_DOMAIN_NAME');
  },
  get region(): string {
    return optional('AWS_REGION') ?? 'us-east-1';
  },
  /** Local twins: DynamoDB Local and the S3 emulator. Unset in AWS. */
  get dynamoEndpoint(): string | undefined {
    return optional('SATCHEL_DYNAMODB_ENDPOINT');
  },
  get s3Endpoint(): string | undefined {
    return optional('SATCHEL_S3_ENDPOINT');
  },
  /** Public base URL of presigned S3 URLs when it differs from the endpoint the functions use. */
  get s3PublicEndpoint(): string | undefined {
    return optional('SATCHEL_S3_PUBLIC_ENDPOINT');
  },
  /** Maximum request body, bytes (API Gateway allows 10 MB; we refuse earlier with a clear 413). */
  get maxBodyBytes(): number {
    return Number(optional('SATCHEL_MAX_BODY_BYTES') ?? 1024 * 1024);
  },
  /**
   * The function of each route a function hands requests to (JSON: handler module -> function name), set
   * by the stack on `POST /mcp`; unset locally, where those handlers run in process.
   */
  get routeFunctions(): Record<string, string> | undefined {
    const value = optional('SATCHEL_ROUTE_FUNCTIONS');
    return value === undefined ? undefined : (JSON.parse(value) as Record<string, string>);
  },
  /** Vector index backend: `opensearch` in AWS, `local` (embedded, under SATCHEL_HOME) otherwise. */
  get vectorBackend(): 'opensearch' | 'local' {
    return optional('SATCHEL_VECTOR_BACKEND') === 'opensearch' ? 'opensearch' : 'local';
  },
  get openSearchEndpoint(): string {
    return required('OPENSEARCH_ENDPOINT');
  },
  get openSearchIndex(): string {
    return optional('OPENSEARCH_INDEX') ?? 'satchel-items';
  },
  /** Byte budget of one OpenSearch `_bulk` body (default 4 MiB). */
  get openSearchBulkMaxBytes(): number | undefined {
    const value = optional('OPENSEARCH_BULK_MAX_BYTES');
    return value === undefined ? undefined : Number(value);
  },
  /** `true` when the index lives in an OpenSearch Serverless collection (signing service `aoss`, not `es`). */
  get openSearchServerless(): boolean {
    return optional('OPENSEARCH_SERVERLESS') === 'true';
  },
  /** Embedder: `bedrock` in AWS; locally `lexical` (offline, no model) or `openai-compatible`. */
  get embedder(): 'bedrock' | 'lexical' | 'openai-compatible' {
    const value = optional('SATCHEL_EMBEDDER') ?? 'lexical';
    if (value !== 'bedrock' && value !== 'lexical' && value !== 'openai-compatible') {
      throw new Error(`SATCHEL_EMBEDDER must be bedrock, lexical or openai-compatible, not ${value}`);
    }
    return value;
  },
  get bedrockModelId(): string {
    return optional('BEDROCK_MODEL_ID') ?? 'amazon.titan-embed-text-v2:0';
  },
  /** Vector dimension: 256, 512 or 1024 for Titan Text Embeddings V2. */
  get embeddingDimension(): number {
    return Number(optional('EMBEDDING_DIMENSION') ?? 1024);
  },
  get openAiEmbeddingsUrl(): string | undefined {
    return optional('SATCHEL_EMBEDDINGS_URL');
  },
  get openAiEmbeddingsModel(): string | undefined {
    return optional('SATCHEL_EMBEDDINGS_MODEL');
  },
  get openAiEmbeddingsKey(): string | undefined {
    return optional('SATCHEL_EMBEDDINGS_API_KEY');
  },
  /** Root of the sandbox desktops: the EFS mount in AWS, `<SATCHEL_HOME>/sandboxes` locally. */
  get sandboxRoot(): string {
    return optional('SATCHEL_SANDBOX_ROOT') ?? `${optional('SATCHEL_HOME') ?? '.satchel'}/sandboxes`;
  },
  /** How a deployment's sandbox starts: `ecs` runs the Fargate task; `none` (default) only prepares the Desktop folder. */
  get sandboxLauncher(): 'ecs' | 'none' {
    const value = optional('SANDBOX_LAUNCHER') ?? 'none';
    if (value !== 'ecs' && value !== 'none') throw new Error(`SANDBOX_LAUNCHER must be ecs or none, not ${value}`);
    return value;
  },
  get sandboxClusterArn(): string {
    return required('SANDBOX_CLUSTER_ARN');
  },
  get sandboxTaskDefinitionArn(): string {
    return required('SANDBOX_TASK_DEFINITION_ARN');
  },
  get sandboxSubnetIds(): string[] {
    return required('SANDBOX_SUBNET_IDS')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  },
  /** Folder of the file system that holds the desktops, as the sandbox tasks' EFS volume sees it. */
  get sandboxEfsRoot(): string {
    return optional('SANDBOX_EFS_ROOT') ?? '/sandboxes';
  },
  /** Start of every sandbox task role's name (`<prefix>-sbx-<deploymentId>`); the launcher may only make roles named so. */
  get sandboxRolePrefix(): string {
    return required('SANDBOX_ROLE_PREFIX');
  },
  /** The managed policy every sandbox role must have as its permissions boundary. */
  get sandboxRoleBoundaryArn(): string {
    return required('SANDBOX_ROLE_BOUNDARY_ARN');
  },
  /** The EFS file system of the desktops; the launcher makes one access point per sandbox on it. */
  get sandboxFileSystemId(): string {
    return required('SANDBOX_FILE_SYSTEM_ID');
  },
  /** uid and gid a sandbox's access point imposes on every file operation (the container's user). */
  get sandboxUserId(): number {
    return Number(optional('SANDBOX_USER_ID') ?? '1000');
  },
  get sandboxSecurityGroupId(): string {
    return required('SANDBOX_SECURITY_GROUP_ID');
  },
  /** Container of the sandbox task that receives the deployment's environment. */
  get sandboxContainerName(): string {
    return optional('SANDBOX_CONTAINER_NAME') ?? 'sandbox';
  },
  /** The Desktop as the API shows it (`/home/user/Desktop` in AWS); the folder's own path when unset (local). */
  get sandboxDesktopPath(): string | undefined {
    return optional('SATCHEL_SANDBOX_DESKTOP_PATH');
  },
  /** Hours a stopped sandbox keeps its Desktop folder before the expiry job terminates it. */
  get sandboxRetentionHours(): number {
    return Number(optional('SATCHEL_SANDBOX_RETENTION_HOURS') ?? 24);
  },
  /** Static files of the API reference (`GET /docs`): set in AWS, where they are copied into the bundle;
   * locally the installed swagger-ui-dist folder. */
  get swaggerUiDir(): string | undefined {
    return optional('SWAGGER_UI_DIR');
  },
  /** State of the local runtime (embedded vector index, sandboxes): `.satchel/` unless set. */
  get home(): string {
    return optional('SATCHEL_HOME') ?? '.satchel';
  },
  /** Lifetime of a scoped item, seconds; SATCHEL_TTL_<SCOPE>_SECONDS overrides (0 = permanent). */
  scopeTtlSeconds(scope: 'agent' | 'session' | 'company' | 'temporary'): number {
    return Number(optional(`SATCHEL_TTL_${scope.toUpperCase()}_SECONDS`) ?? DEFAULT_SCOPE_TTL_SECONDS[scope]);
  },
  /** True inside AWS Lambda: background work goes to jobs there, in-process in the local runtime. */
  get inLambda(): boolean {
    return optional('AWS_LAMBDA_FUNCTION_NAME') !== undefined;
  },
  /**
   * Test control: seconds added to the clock the item lifetime rules judge by (`lambdas/items/service/scope.ts`),
   * so a test steps past a lifetime instead of sleeping through it. Honoured by the local runtime only.
   */
  get clockOffsetSeconds(): number {
    const value = optional('SATCHEL_CLOCK_OFFSET_SECONDS');
    if (value === undefined || this.inLambda) return 0;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new Error(`SATCHEL_CLOCK_OFFSET_SECONDS must be a number of seconds, not ${value}`);
    return parsed;
  },
  /** Addresses or CIDR ranges (comma-separated) a server-side fetch may reach although private or
   * loopback, and over plain http; empty by default (e.g. `127.0.0.1` for local tests). */
  get fetchAllowedHosts(): string[] {
    return (optional('SATCHEL_FETCH_ALLOWED_HOSTS') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  },
  /** Largest file a `fileUrl` may deliver, bytes (default 100 MiB). */
  get fetchMaxBytes(): number {
    return Number(optional('SATCHEL_FETCH_MAX_BYTES') ?? 100 * 1024 * 1024);
  },
  /** Time limit of one server-side fetch, seconds, redirects and body included (default 300). */
  get fetchTimeoutSeconds(): number {
    return Number(optional('SATCHEL_FETCH_TIMEOUT_SECONDS') ?? 300);
  },
  /** A `fileUrl` announcing at most this many bytes is fetched within the request; larger or unknown
   * sizes are accepted (202) and fetched in the background (default 8 MiB). */
  get fetchSyncMaxBytes(): number {
    return Number(optional('SATCHEL_FETCH_SYNC_MAX_BYTES') ?? 8 * 1024 * 1024);
  },
  /** Text items of at most this many chunks are embedded within the add request (201, searchable at once);
   * longer ones are stored, answered 202 pending and indexed in the background (default 100). */
  get syncIndexMaxChunks(): number {
    return wholeNumber('SATCHEL_SYNC_INDEX_MAX_CHUNKS', 100, 0);
  },
  /** A fetch slower than this on average over any window of `fetchRateWindowSeconds` is ended (bytes/s, 0 = no floor; default 16 KiB/s). */
  get fetchMinBytesPerSecond(): number {
    return wholeNumber('SATCHEL_FETCH_MIN_BYTES_PER_SECOND', 16 * 1024, 0);
  },
  /** Window of the minimum transfer rate, seconds (default 15): time to first byte counts too. */
  get fetchRateWindowSeconds(): number {
    return wholeNumber('SATCHEL_FETCH_RATE_WINDOW_SECONDS', 15);
  },
  /** Background fetches one process (the stream consumer, or the local runtime) runs at once (default 16). */
  get ingestConcurrency(): number {
    return wholeNumber('SATCHEL_INGEST_CONCURRENCY', 16);
  },
  /** Of those, how many one tenant may hold (default 4), so a tenant's slow servers cannot take every one. */
  get ingestTenantConcurrency(): number {
    return wholeNumber('SATCHEL_INGEST_TENANT_CONCURRENCY', 4);
  },
  /** Quota: `fileUrl` items one tenant may have pending (accepted, not yet fetched) at once (default 20). */
  get maxPendingFetches(): number {
    return wholeNumber('SATCHEL_MAX_PENDING_FETCHES', 20);
  },
  /** Quota: sandboxes (provisioning or running) one tenant may have at once (default 10). */
  get maxRunningSandboxes(): number {
    return wholeNumber('SATCHEL_MAX_RUNNING_SANDBOXES', 10);
  },
  /** Quota: multipart uploads one workspace-sync presign call may open (default 10). */
  get maxMultipartUploadsPerCall(): number {
    return wholeNumber('SATCHEL_MAX_MULTIPART_UPLOADS_PER_CALL', 10);
  },
  /** Local runtime: seconds between sweeps that remove expired items (default 60). */
  get itemSweepIntervalSeconds(): number {
    return Number(optional('SATCHEL_ITEM_SWEEP_SECONDS') ?? 60);
  },
  /** Memory sync: how old a gap in an agent's change log must be before a puller voids it (ms). */
  get memoryGapGraceMs(): number {
    return Number(optional('SATCHEL_MEMORY_GAP_GRACE_MS') ?? 5000);
  },
  /** Memory sync: a pull with `since` starts at the change-log frontier this long before `since` (ms, default 10 minutes). */
  get memorySinceMarginMs(): number {
    return Number(optional('SATCHEL_MEMORY_SINCE_MARGIN_MS') ?? 10 * 60_000);
  },
  /** Memory sync: superseded changes older than this leave the change log (ms, default 24 hours). */
  get memoryLogRetentionMs(): number {
    return Number(optional('SATCHEL_MEMORY_LOG_RETENTION_MS') ?? 24 * 3_600_000);
  },
  /** Lifetime of presigned URLs, seconds (at most 15 minutes). */
  get presignTtlSeconds(): number {
    return Math.min(Number(optional('SATCHEL_PRESIGN_TTL_SECONDS') ?? 900), 900);
  },
  /** Workspace sync `memory` files: comma-separated globs over workspace paths (see docs/sync.md). */
  get syncMemoryPatterns(): string[] {
    const value = optional('SATCHEL_SYNC_MEMORY_PATTERNS') ?? '**/MEMORY.md,memory/**,**/*.memory.md';
    return value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  },
  /** Workspace sync `active` restore: how many of the most recent saved sessions it includes. */
  get syncActiveSessions(): number {
    return Number(optional('SATCHEL_SYNC_ACTIVE_SESSIONS') ?? 5);
  },
  /** Workspace sync `active` restore: files backed up within this many hours are included. */
  get syncActiveWindowHours(): number {
    return Number(optional('SATCHEL_SYNC_ACTIVE_WINDOW_HOURS') ?? 72);
  },
  /** A saved session larger than this (bytes) is answered with 413 and a presigned URL instead of inline content. */
  get syncSessionInlineMaxBytes(): number {
    return Number(optional('SATCHEL_SYNC_SESSION_INLINE_MAX_BYTES') ?? 1024 * 1024);
  },
  /**
   * Workspace sync: JSON bytes of one answer (presign, listing and restore pages); default and
   * maximum 5.5 MiB (Lambda answers at most 6 MiB, the proxy envelope and its escaping included), at least 16 KiB.
   */
  get syncResponseBytes(): number {
    const max = 5.5 * 1024 * 1024;
    return Math.min(Math.max(Number(optional('SATCHEL_SYNC_RESPONSE_BYTES') ?? max) || max, 16 * 1024), max);
  },
  /** Part size of multipart uploads, bytes (S3: at least 5 MiB, at most 10,000 parts; grown to fit). */
  get syncPartSizeBytes(): number {
    return Math.max(Number(optional('SATCHEL_SYNC_PART_SIZE_BYTES') ?? 64 * 1024 * 1024), 5 * 1024 * 1024);
  },
};
