import { createHash, randomBytes } from 'node:crypto';
import { call, type TestApi } from './api';
import type { Hints } from './generated';

/**
 * A tenant with data on every surface, made through the API as clients make it: some of it owned
 * by one agent (`agent`), some shared by the tenant. Every piece carries a marker string that
 * appears nowhere else, so a test can tell whether any byte of it reached an answer.
 */
export interface TenantFixture {
  tenant: string;
  /** Tenant-wide key. */
  adminKey: string;
  /** Key bound to `agent`, the owner of the private data. */
  agentKey: string;
  agent: string;
  /** Values of this tenant's data by surface and field name: the generated requests aim at them. */
  hints: Hints;
  /** The same with the items surface aimed at the tenant's shared scope. */
  sharedHints: Hints;
  markers: { agent: string[]; tenant: string[] };
  /** Ids of the tenant's data (random, so no other tenant can hold the same): a request carrying one reaches for it. */
  tenantIds: Set<unknown>;
  /** The ids among them of the agent's own data. */
  agentIds: Set<unknown>;
  /** Reads every piece back through its owner's keys; answers the markers no longer found. */
  missingMarkers(): Promise<string[]>;
}

const marker = (what: string): string => `zq${what}${randomBytes(6).toString('hex')}`;

async function ok<T = any>(what: string, pending: Promise<{ status: number; body: T }>): Promise<T> {
  const res = await pending;
  if (res.status >= 300) throw new Error(`fixture: ${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function seedTenant(api: TestApi, agent = 'alpha'): Promise<TenantFixture> {
  const { key: adminKey, tenant } = await api.key();
  const { key: agentKey } = await api.key({ tenant, agent });
  const as = (key: string) => (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call(api.url, method, path, { key, body, headers });
  const admin = as(adminKey);
  const own = as(agentKey);
  const m = {
    workspace: marker('ws'),
    skill: marker('skill'),
    prompt: marker('prompt'),
    env: marker('env'),
    secret: marker('secret'),
    session: marker('sess'),
    syncFile: marker('sync'),
    syncBytes: marker('syncbytes'),
    memory: marker('mem'),
    memoryText: marker('memtext'),
    item: marker('item'),
    itemText: marker('itemtext'),
    shared: marker('shared'),
    sharedText: marker('sharedtext'),
    deployment: marker('dep'),
    file: marker('file'),
  };

  // registry: a shared workspace and skill, the agent's definition (env and secret) and its session
  const workspace = (await ok('workspace', admin('POST', '/api/workspaces', { root_dir: `/srv/${m.workspace}`, name: m.workspace })))
    .workspace;
  await ok('skill', admin('PUT', `/api/workspaces/${workspace.id}/skills/${m.skill}`, { dir: `/skills/${m.skill}` }));
  await ok(
    'agent',
    admin('PUT', `/api/workspaces/${workspace.id}/agents/${agent}`, {
      prompt: m.prompt,
      mcp_servers: [{ name: 'db', env: { DB_URL: m.env }, secret_env: { TOKEN: m.secret } }],
    }),
  );
  const sessionId = `s-${m.session}`;
  await ok('session', own('POST', `/api/workspaces/${workspace.id}/sessions`, { id: sessionId, name: m.session, agent_name: agent }));

  // workspace sync: one confirmed file of the agent
  const syncPath = `notes/${m.syncFile}.md`;
  const bytes = Buffer.from(`# ${m.syncBytes}\n`);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const presigned = await ok(
    'sync presign',
    own('POST', '/agent/sync/presign', { files: [{ path: syncPath, operation: 'put', hash, size: bytes.length }] }),
  );
  const signed = presigned.data.urls[0] as { url: string; headers: Record<string, string>; uploadId: string };
  if (!(await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: bytes })).ok)
    throw new Error('fixture: sync upload failed');
  await ok('sync confirm', own('POST', '/agent/sync/confirm', { filePath: syncPath, hash, size: bytes.length, uploadId: signed.uploadId }));

  // memory sync: one record of the agent
  await ok(
    'memory push',
    own('POST', '/sync/push', {
      agent_id: agent,
      operations: [
        {
          table: 'notes',
          record_id: m.memory,
          operation: 'upsert',
          data: { text: m.memoryText, local_updated_at: '2026-01-01T00:00:00Z' },
        },
      ],
    }),
  );

  // items: one in the agent's scope, one in the tenant's company scope
  const itemPath = `/private/${m.item}.md`;
  await ok(
    'agent item',
    own('POST', '/api/workspace/items', { scope: 'agent', scopeId: agent, itemPath, content: `${m.itemText} ${m.itemText}` }),
  );
  const sharedPath = `/shared/${m.shared}.md`;
  await ok(
    'company item',
    admin('POST', '/api/workspace/items', { scope: 'company', itemPath: sharedPath, content: `${m.sharedText} ${m.sharedText}` }),
  );

  // files: a deployment of the agent with one recorded file
  const deployment = (await ok('deployment', own('POST', '/api/deployments', { name: m.deployment }))).data.deployment;
  const fileName = `${m.file}.csv`;
  const fileBytes = Buffer.from('a,b\n1,2\n');
  const upload = (
    await ok(
      'files presign',
      own('POST', '/api/files/presign', { deploymentId: deployment.id, fileName, fileSize: fileBytes.length, mimeType: 'text/csv' }),
    )
  ).data;
  if (!(await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: fileBytes })).ok)
    throw new Error('fixture: files upload failed');
  const file = (
    await ok(
      'files record',
      own('POST', '/api/files/record', {
        deploymentId: deployment.id,
        fileName,
        fileSize: fileBytes.length,
        mimeType: 'text/csv',
        storagePath: upload.storagePath,
      }),
    )
  ).data.file;

  const hints: Hints = {
    '*': { agent_id: [agent], stack_id: [agent], agentId: [agent], agent_name: [agent], scopeId: [agent] },
    registry: { id: [workspace.id], name: [agent], sessionId: [sessionId] },
    sync: { filePath: [syncPath], path: [syncPath], prefix: ['notes/'] },
    items: {
      scope: ['agent'],
      itemPath: [itemPath],
      fromPath: [itemPath],
      fromScope: ['agent'],
      fromScopeId: [agent],
      toPath: [`${itemPath}.moved`],
      prefix: ['/private/'],
      query: [m.itemText],
    },
    files: {
      id: [deployment.id],
      deploymentId: [deployment.id],
      fileId: [file.id],
      fileName: [fileName],
      storagePath: [upload.storagePath],
      files: [[upload.storagePath], [fileName]],
    },
  };
  const sharedHints: Hints = {
    ...hints,
    '*': { ...hints['*'], scopeId: [] },
    items: {
      scope: ['company'],
      itemPath: [sharedPath],
      fromPath: [sharedPath],
      fromScope: ['company'],
      toPath: [`${sharedPath}.moved`],
      prefix: ['/shared/'],
      query: [m.sharedText],
    },
  };
  const markers = {
    agent: [m.prompt, m.env, m.secret, m.session, m.syncFile, m.memory, m.memoryText, m.item, m.itemText, m.deployment, m.file, hash],
    tenant: [m.workspace, m.skill, m.shared, m.sharedText],
  };
  const agentIds = new Set<unknown>([sessionId, deployment.id, file.id, upload.storagePath]);
  return {
    tenant,
    adminKey,
    agentKey,
    agent,
    hints,
    sharedHints,
    markers,
    agentIds,
    tenantIds: new Set<unknown>([...agentIds, workspace.id]),
    async missingMarkers() {
      const texts = await Promise.all(
        [
          admin('GET', `/api/workspaces/${workspace.id}`),
          own('GET', `/api/workspaces/${workspace.id}`),
          own('GET', '/agent/sync/manifest'),
          own('POST', '/sync/pull', { agent_id: agent, full: true }),
          own('GET', `/api/workspace/items/get?scope=agent&scopeId=${agent}&itemPath=${encodeURIComponent(itemPath)}`),
          admin('GET', `/api/workspace/items/get?scope=company&itemPath=${encodeURIComponent(sharedPath)}`),
          own('GET', `/api/deployments/${deployment.id}`),
          own('GET', `/api/files?deploymentId=${deployment.id}`),
        ].map(async (pending) => JSON.stringify((await pending).body)),
      );
      const seen = texts.join('\n');
      // the secret is write-only: it is checked where it is kept, not in any answer
      return [...markers.agent, ...markers.tenant].filter((mk) => mk !== m.secret && !seen.includes(mk));
    },
  };
}
