import { startTestApi, type TestApi } from '../../support/api';
import { ref, registryTenant } from '../../support/registry';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

describe('registry: register workspaces (POST /api/workspaces)', () => {
  it('answers 201 with the seed shape, root normalised and add_dirs cleaned', async () => {
    const t = await registryTenant(api);
    const res = await t.send('POST', '/api/workspaces', {
      root_dir: '/home/me//proj/./src/../',
      add_dirs: ['/home/me/proj', '', '  ', '/data/', '/data', '/lib/x/..', '/home/me/proj/'],
      default_agent: 'coder',
      sandbox_ref: 'sb-1',
    });
    expect(res.status).toBe(201);
    const ws = res.body.workspace;
    expect(ws).toEqual({
      id: expect.stringMatching(/^ws_/),
      name: 'proj',
      root_dir: '/home/me/proj',
      add_dirs: ['/data', '/lib'],
      default_agent: 'coder',
      sandbox_ref: 'sb-1',
      created_at: expect.any(String),
      updated_at: ws.created_at,
    });
    expect(Date.parse(ws.created_at)).not.toBeNaN();
  });

  it('refuses a relative root_dir or add_dir with 400 naming the field', async () => {
    const t = await registryTenant(api);
    const rel = await t.send('POST', '/api/workspaces', { root_dir: 'proj' });
    expect(rel.status).toBe(400);
    expect(rel.body.error).toMatch(/root_dir must be an absolute path/);
    const blank = await t.send('POST', '/api/workspaces', { root_dir: '  ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error).toMatch(/root_dir is required/);
    const dir = await t.send('POST', '/api/workspaces', { root_dir: '/p', add_dirs: ['/ok', 'rel/dir'] });
    expect(dir.status).toBe(400);
    expect(dir.body.error).toMatch(/add_dirs\[1\] must be an absolute path/);
    expect((await t.send('GET', '/api/workspaces')).body.workspaces).toEqual([]);
  });

  it('names by the root base name with -2, -3 on collision; / is named "root"', async () => {
    const t = await registryTenant(api);
    expect((await t.create({ root_dir: '/a/app' })).name).toBe('app');
    expect((await t.create({ root_dir: '/b/app' })).name).toBe('app-2');
    expect((await t.create({ root_dir: '/c/app/' })).name).toBe('app-3');
    expect((await t.create({ root_dir: '/' })).name).toBe('root');
  });

  it('answers 409 for an explicit taken name and for a second workspace on the same root', async () => {
    const t = await registryTenant(api);
    await t.create({ root_dir: '/x/one', name: 'mine' });
    const name = await t.send('POST', '/api/workspaces', { root_dir: '/x/two', name: 'mine' });
    expect(name.status).toBe(409);
    expect(name.body.error).toMatch(/named "mine" already exists/);
    const root = await t.send('POST', '/api/workspaces', { root_dir: '/x/one/./', name: 'other' });
    expect(root.status).toBe(409);
    expect(root.body.error).toMatch(/root_dir "\/x\/one" already exists/);
    const list = (await t.send('GET', '/api/workspaces')).body.workspaces;
    expect(list.map((w: { name: string }) => w.name)).toEqual(['mine']);
  });

  it('refuses an empty or slash-holding explicit name with 400', async () => {
    const t = await registryTenant(api);
    const empty = await t.send('POST', '/api/workspaces', { root_dir: '/p', name: ' ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/name must not be empty/);
    const slash = await t.send('POST', '/api/workspaces', { root_dir: '/p', name: 'a/b' });
    expect(slash.status).toBe(400);
    expect(slash.body.error).toMatch(/name must not contain "\/"/);
  });

  it('concurrent creates never duplicate a root or a name', async () => {
    const t = await registryTenant(api);
    const sameRoot = await Promise.all(Array.from({ length: 8 }, () => t.send('POST', '/api/workspaces', { root_dir: '/race/root' })));
    expect(sameRoot.filter((r) => r.status === 201)).toHaveLength(1);
    expect(sameRoot.filter((r) => r.status === 409)).toHaveLength(7);

    const sameName = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.send('POST', '/api/workspaces', { root_dir: `/race/n${i}`, name: 'taken' })),
    );
    expect(sameName.filter((r) => r.status === 201)).toHaveLength(1);
    expect(sameName.filter((r) => r.status === 409)).toHaveLength(7);

    const defaults = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.send('POST', '/api/workspaces', { root_dir: `/race/d${i}/svc` })),
    );
    expect(defaults.every((r) => r.status === 201)).toBe(true);
    const names = defaults.map((r) => r.body.workspace.name).sort();
    expect(names).toEqual(['svc', 'svc-2', 'svc-3', 'svc-4', 'svc-5', 'svc-6', 'svc-7', 'svc-8']);
  });
});

describe('registry: resolve (POST /api/workspaces/resolve)', () => {
  it('registers an unknown path, then answers the same workspace (200) for it and for paths inside it', async () => {
    const t = await registryTenant(api);
    const first = await t.send('POST', '/api/workspaces/resolve', { path: '/srv/repo/' });
    expect(first.status).toBe(200);
    expect(first.body.workspace).toMatchObject({ root_dir: '/srv/repo', name: 'repo', add_dirs: [] });
    const again = await t.send('POST', '/api/workspaces/resolve', { path: '/srv/./repo' });
    expect(again.status).toBe(200);
    expect(again.body.workspace).toEqual(first.body.workspace);
    const inside = await t.send('POST', '/api/workspaces/resolve', { path: '/srv/repo/src/lib' });
    expect(inside.body.workspace.id).toBe(first.body.workspace.id);
    const nested = await t.create({ root_dir: '/srv/repo/packages/web' });
    const deeper = await t.send('POST', '/api/workspaces/resolve', { path: '/srv/repo/packages/web/src' });
    expect(deeper.body.workspace.id).toBe(nested.id);
    expect((await t.send('GET', '/api/workspaces')).body.workspaces).toHaveLength(2);
  });

  it('refuses a relative path with 400', async () => {
    const t = await registryTenant(api);
    const res = await t.send('POST', '/api/workspaces/resolve', { path: 'srv/repo' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/path must be an absolute path/);
  });

  it('ten concurrent resolves of one path create exactly one workspace', async () => {
    const t = await registryTenant(api);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.send('POST', '/api/workspaces/resolve', { path: '/concurrent/project' })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.body.workspace.id)).size).toBe(1);
    const list = (await t.send('GET', '/api/workspaces')).body.workspaces;
    expect(list).toHaveLength(1);
    expect(list[0].name).toBe('project');
  });
});

describe('registry: detail (GET /api/workspaces/{id})', () => {
  it('finds a workspace by id, by URL-encoded root path and by name, with empty children', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/home/me/site', name: 'my site' });
    for (const key of [ws.id, '/home/me/site', '/home/me/site/', 'my site']) {
      const res = await t.send('GET', ref(key));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ workspace: ws, agents: [], providers: [], skills: [], sessions: [] });
    }
  });

  it('answers 404 naming the unknown reference', async () => {
    const t = await registryTenant(api);
    for (const key of ['ws_nope', '/no/such/root', 'nobody']) {
      const res = await t.send('GET', ref(key));
      expect(res.status).toBe(404);
      expect(res.body.error).toBe(`Workspace "${key}" not found`);
    }
  });
});

describe('registry: update (PATCH /api/workspaces/{id})', () => {
  it('changes only the fields given', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/p/q', add_dirs: ['/d'], default_agent: 'a', sandbox_ref: 's' });
    const res = await t.send('PATCH', ref(ws.id), { default_agent: 'b' });
    expect(res.status).toBe(200);
    expect(res.body.workspace).toEqual({ ...ws, default_agent: 'b', updated_at: expect.any(String) });
    expect(res.body.workspace.updated_at >= ws.updated_at).toBe(true);
    const dirs = await t.send('PATCH', ref(ws.id), { add_dirs: ['/p/q', '/e/', '/e', ''] });
    expect(dirs.body.workspace.add_dirs).toEqual(['/e']);
    expect((await t.send('GET', ref(ws.id))).body.workspace).toEqual(dirs.body.workspace);
  });

  it('clears default_agent and sandbox_ref when given empty', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/p/q', default_agent: 'a', sandbox_ref: 's' });
    const res = await t.send('PATCH', ref(ws.id), { default_agent: '', sandbox_ref: '' });
    expect(res.status).toBe(200);
    expect(res.body.workspace).not.toHaveProperty('default_agent');
    expect(res.body.workspace).not.toHaveProperty('sandbox_ref');
    expect((await t.send('GET', ref(ws.id))).body.workspace).toEqual(res.body.workspace);
  });

  it('renames: the old name is freed, the new one finds the workspace; empty name 400, taken name 409', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/r/one', name: 'before' });
    await t.create({ root_dir: '/r/two', name: 'other' });
    const renamed = await t.send('PATCH', ref(ws.id), { name: 'after' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.workspace.name).toBe('after');
    expect((await t.send('GET', ref('after'))).body.workspace.id).toBe(ws.id);
    expect((await t.send('GET', ref('before'))).status).toBe(404);
    await t.create({ root_dir: '/r/three', name: 'before' });

    const empty = await t.send('PATCH', ref(ws.id), { name: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/name must not be empty/);
    const taken = await t.send('PATCH', ref(ws.id), { name: 'other' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatch(/named "other" already exists/);
    expect((await t.send('GET', ref(ws.id))).body.workspace.name).toBe('after');
  });

  it('concurrent renames to one name: exactly one wins, and no name is left pointing nowhere', async () => {
    const t = await registryTenant(api);
    const workspaces = await Promise.all(Array.from({ length: 6 }, (_, i) => t.create({ root_dir: `/rn/${i}` })));
    const results = await Promise.all(workspaces.map((ws) => t.send('PATCH', ref(ws.id), { name: 'prize' })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    const winner = results.find((r) => r.status === 200)!.body.workspace;
    expect((await t.send('GET', ref('prize'))).body.workspace.id).toBe(winner.id);
    const list = (await t.send('GET', '/api/workspaces')).body.workspaces;
    for (const ws of list) expect((await t.send('GET', ref(ws.name))).body.workspace.id).toBe(ws.id);
  });
});

describe('registry: delete (DELETE /api/workspaces/{id})', () => {
  it('answers 204, frees the name and root, and removes the children', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/del/me', name: 'gone' });
    expect((await t.send('PUT', `${ref(ws.id)}/skills/lint`, { dir: '/skills/lint' })).status).toBe(200);
    const session = await t.send('POST', `${ref(ws.id)}/sessions`, { state: 'stopped' });
    expect(session.status).toBe(201);
    const res = await t.send('DELETE', ref(ws.id));
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect((await t.send('GET', ref(ws.id))).status).toBe(404);
    expect((await t.send('DELETE', ref(ws.id))).status).toBe(404);
    const again = await t.create({ root_dir: '/del/me', name: 'gone' });
    expect(again.id).not.toBe(ws.id);
    const detail = (await t.send('GET', ref(again.id))).body;
    expect(detail.skills).toEqual([]);
    expect(detail.sessions).toEqual([]);
  });

  it('accepts the name and the root path too', async () => {
    const t = await registryTenant(api);
    await t.create({ root_dir: '/del/by/name', name: 'byname' });
    await t.create({ root_dir: '/del/by/root' });
    expect((await t.send('DELETE', ref('byname'))).status).toBe(204);
    expect((await t.send('DELETE', ref('/del/by/root'))).status).toBe(204);
    expect((await t.send('GET', '/api/workspaces')).body.workspaces).toEqual([]);
  });
});
