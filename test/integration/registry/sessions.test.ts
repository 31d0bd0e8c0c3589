import { startTestApi, type TestApi } from '../../support/api';
import { ref, registryTenant } from '../../support/registry';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

type Tenant = Awaited<ReturnType<typeof registryTenant>>;
const sessions = (ws: { id: string }) => `${ref(ws.id)}/sessions`;
async function start(t: Tenant, ws: { id: string }, body: Record<string, unknown> = {}) {
  const res = await t.send('POST', sessions(ws), body);
  if (res.status !== 201) throw new Error(`session create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.session;
}

describe('registry: sessions', () => {
  it('POST records a session (201) with defaults; GET lists it; the detail view shows it', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/s/one' });
    const res = await t.send('POST', sessions(ws), {
      agent_name: 'coder',
      provider: 'anthropic',
      type: 'interactive',
      channel: 'cli',
      acp_caps: { supports_load_session: true },
    });
    expect(res.status).toBe(201);
    const session = res.body.session;
    expect(session).toEqual({
      id: expect.stringMatching(/^sess_/),
      workspace_id: ws.id,
      workspace_path: '/s/one',
      agent_name: 'coder',
      provider: 'anthropic',
      type: 'interactive',
      channel: 'cli',
      acp_caps: { supports_load_session: true },
      state: 'starting',
      lineage: { root_session_id: session.id, spawn_depth: 0 },
      created_at: expect.any(String),
      updated_at: session.created_at,
    });
    const list = await t.send('GET', sessions(ws));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ sessions: [session] });
    expect((await t.send('GET', ref(ws.id))).body.sessions).toEqual([session]);
  });

  it('takes a client id (409 when taken) and a workspace_path, normalised', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/s/ids' });
    const s = await start(t, ws, { id: 'runtime-42', workspace_path: '/s/ids/sub/' });
    expect(s.id).toBe('runtime-42');
    expect(s.workspace_path).toBe('/s/ids/sub');
    const again = await t.send('POST', sessions(ws), { id: 'runtime-42' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/session "runtime-42" already exists/);
  });

  it('PATCH changes only the fields given; null clears one', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/s/patch' });
    const s = await start(t, ws, { agent_name: 'coder', name: 'first', health: { health: 'healthy' } });
    const activity = { current_tool: 'grep', elapsed_seconds: 3, iteration_current: 1, last_activity_at: new Date().toISOString() };
    const res = await t.send('PATCH', `${sessions(ws)}/${s.id}`, { state: 'running', activity, name: null });
    expect(res.status).toBe(200);
    const patched = res.body.session;
    expect(patched).toEqual({ ...s, state: 'running', activity, name: undefined, updated_at: expect.any(String) });
    expect(patched).not.toHaveProperty('name');
    expect((await t.send('GET', sessions(ws))).body.sessions).toEqual([patched]);
    const stop = await t.send('PATCH', `${sessions(ws)}/${s.id}`, {
      state: 'stopped',
      stop_reason: 'completed',
      stop_detail: 'done',
      failure: { kind: 'none', summary: 'ok' },
      sandbox: { backend: 'local', state: 'gone', provider_state_json: { any: ['json'] } },
    });
    expect(stop.body.session).toMatchObject({
      state: 'stopped',
      stop_reason: 'completed',
      stop_detail: 'done',
      health: { health: 'healthy' },
      sandbox: { provider_state_json: { any: ['json'] } },
    });
  });

  it('a stopped session cannot be reopened (409); unknown sessions are 404', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/s/stopped' });
    const s = await start(t, ws, { state: 'stopped' });
    const reopen = await t.send('PATCH', `${sessions(ws)}/${s.id}`, { state: 'running' });
    expect(reopen.status).toBe(409);
    expect(reopen.body.error).toMatch(/stopped session cannot become running/);
    const unknown = await t.send('PATCH', `${sessions(ws)}/sess_none`, { state: 'running' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/No session "sess_none"/);
  });

  it('DELETE of the workspace is 409 while a session is not stopped, 204 once all are stopped', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/s/delete' });
    const a = await start(t, ws);
    const b = await start(t, ws, { state: 'idle' });
    await start(t, ws, { state: 'stopped' });
    const refused = await t.send('DELETE', ref(ws.id));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/has 2 session\(s\) that are not stopped/);
    await t.send('PATCH', `${sessions(ws)}/${a.id}`, { state: 'stopped' });
    expect((await t.send('DELETE', ref(ws.id))).status).toBe(409);
    await t.send('PATCH', `${sessions(ws)}/${b.id}`, { state: 'stopped', stop_reason: 'completed' });
    // stopping twice does not count twice
    await t.send('PATCH', `${sessions(ws)}/${b.id}`, { state: 'stopped' });
    expect((await t.send('DELETE', ref(ws.id))).status).toBe(204);
  });

  it('concurrent state changes keep the open-session count exact', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/s/count' });
    const started = await Promise.all(Array.from({ length: 6 }, () => start(t, ws)));
    // every session stopped by three racing PATCHes: only the first stop may count
    await Promise.all(started.flatMap((s) => [0, 1, 2].map(() => t.send('PATCH', `${sessions(ws)}/${s.id}`, { state: 'stopped' }))));
    expect((await t.send('DELETE', ref(ws.id))).status).toBe(204);
  });
});

describe('registry: session lineage', () => {
  it('derives spawn_depth and root_session_id from the parent; the child inherits the budget', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/l/derive' });
    const root = await start(t, ws, { lineage: { spawn_budget: { max_depth: 5, ttl_seconds: 60 }, spawn_role: 'lead' } });
    expect(root.lineage).toMatchObject({ root_session_id: root.id, spawn_depth: 0, spawn_role: 'lead' });
    expect(Date.parse(root.lineage.ttl_expires_at) - Date.parse(root.created_at)).toBe(60_000);
    const child = await start(t, ws, {
      lineage: { parent_session_id: root.id, auto_stop_on_parent: true, permission_policy: { tools: ['read'] } },
    });
    expect(child.lineage).toMatchObject({
      parent_session_id: root.id,
      root_session_id: root.id,
      spawn_depth: 1,
      spawn_budget: { max_depth: 5, ttl_seconds: 60 },
      auto_stop_on_parent: true,
      permission_policy: { tools: ['read'] },
    });
    const grandchild = await start(t, ws, { lineage: { parent_session_id: child.id } });
    expect(grandchild.lineage).toMatchObject({ root_session_id: root.id, spawn_depth: 2 });
  });

  it('refuses derived lineage fields from the client (400)', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/l/derived' });
    const res = await t.send('POST', sessions(ws), { lineage: { spawn_depth: 3 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/body.lineage: Unrecognized key: "spawn_depth"/);
  });

  it('the parent must exist in the same workspace (404) and be open (409)', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/l/parent' });
    const other = await t.create({ root_dir: '/l/other' });
    const elsewhere = await start(t, other);
    const res = await t.send('POST', sessions(ws), { lineage: { parent_session_id: elsewhere.id } });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe(`Parent session "${elsewhere.id}" not found in workspace "${ws.id}"`);
    const stopped = await start(t, ws, { state: 'stopped' });
    const late = await t.send('POST', sessions(ws), { lineage: { parent_session_id: stopped.id } });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(/is stopped and cannot spawn children/);
  });

  it('refuses a child beyond the parent budget max_depth with 409', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/l/depth' });
    const root = await start(t, ws, { lineage: { spawn_budget: { max_depth: 1 } } });
    const child = await start(t, ws, { lineage: { parent_session_id: root.id } });
    const res = await t.send('POST', sessions(ws), { lineage: { parent_session_id: child.id } });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe(`Spawn depth 2 exceeds max_depth 1 of parent session "${child.id}"`);
    expect((await t.send('GET', sessions(ws))).body.sessions).toHaveLength(2);
  });

  it('max_children holds under concurrent spawns', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/l/children' });
    const root = await start(t, ws, { lineage: { spawn_budget: { max_children: 3 } } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.send('POST', sessions(ws), { lineage: { parent_session_id: root.id } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(7);
    expect(refused[0].body.error).toBe(`Parent session "${root.id}" has spawned its max_children (3) children`);
    expect((await t.send('GET', sessions(ws))).body.sessions).toHaveLength(4);
  });

  it('max_active_per_workspace of the parent budget bounds open sessions', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/l/active' });
    const root = await start(t, ws, { lineage: { spawn_budget: { max_active_per_workspace: 2 } } });
    const child = await start(t, ws, { lineage: { parent_session_id: root.id } });
    const refused = await t.send('POST', sessions(ws), { lineage: { parent_session_id: root.id } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/already has 2 open session\(s\), the max_active_per_workspace/);
    await t.send('PATCH', `${sessions(ws)}/${child.id}`, { state: 'stopped' });
    expect((await t.send('POST', sessions(ws), { lineage: { parent_session_id: root.id } })).status).toBe(201);
  });

  it('an agent-bound key sees and writes its own agent’s sessions only', async () => {
    const admin = await registryTenant(api);
    const ws = await admin.create({ root_dir: '/l/bound' });
    const theirs = await start(admin, ws, { agent_name: 'reviewer' });
    const bound = await registryTenant(api, { tenant: admin.tenant, agent: 'coder' });
    const mine = await start(bound, ws);
    expect(mine.agent_name).toBe('coder');
    expect((await bound.send('POST', sessions(ws), { agent_name: 'reviewer' })).status).toBe(404);
    expect((await bound.send('GET', sessions(ws))).body.sessions.map((s: { id: string }) => s.id)).toEqual([mine.id]);
    expect((await bound.send('PATCH', `${sessions(ws)}/${theirs.id}`, { state: 'stopped' })).status).toBe(404);
    expect((await bound.send('POST', sessions(ws), { lineage: { parent_session_id: theirs.id } })).status).toBe(404);
  });
});
