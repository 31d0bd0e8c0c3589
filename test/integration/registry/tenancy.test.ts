import { call, startTestApi, type TestApi } from '../../support/api';
import { ref, registryTenant } from '../../support/registry';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

describe('registry tenancy', () => {
  it("tenant B cannot see, change or delete tenant A's workspace: 404 by id, path and name", async () => {
    const a = await registryTenant(api);
    const b = await registryTenant(api);
    const ws = await a.create({ root_dir: '/shared/path/project', name: 'project' });
    const session = (await a.send('POST', `${ref(ws.id)}/sessions`, {})).body.session;
    await a.send('PUT', `${ref(ws.id)}/agents/coder`, { model: 'm' });

    for (const key of [ws.id, '/shared/path/project', 'project']) {
      const get = await b.send('GET', ref(key));
      expect(get.status).toBe(404);
      expect(get.body.error).toBe(`Workspace "${key}" not found`);
      expect((await b.send('PATCH', ref(key), { name: 'stolen' })).status).toBe(404);
      expect((await b.send('DELETE', ref(key))).status).toBe(404);
      expect((await b.send('GET', `${ref(key)}/sessions`)).status).toBe(404);
      expect((await b.send('POST', `${ref(key)}/sessions`, {})).status).toBe(404);
      expect((await b.send('PATCH', `${ref(key)}/sessions/${session.id}`, { state: 'stopped' })).status).toBe(404);
      expect((await b.send('PUT', `${ref(key)}/agents/coder`, { model: 'evil' })).status).toBe(404);
      expect((await b.send('DELETE', `${ref(key)}/agents/coder`)).status).toBe(404);
    }
    expect((await b.send('GET', '/api/workspaces')).body.workspaces).toEqual([]);

    // A's data is untouched
    const detail = (await a.send('GET', ref(ws.id))).body;
    expect(detail.workspace).toEqual(ws);
    expect(detail.agents).toEqual([{ name: 'coder', model: 'm' }]);
    expect(detail.sessions).toEqual([session]);
    expect((await a.send('GET', '/api/workspaces')).body.workspaces).toEqual([ws]);
  });

  it('names and roots are unique per tenant only; resolve never crosses tenants', async () => {
    const a = await registryTenant(api);
    const b = await registryTenant(api);
    const mine = await a.create({ root_dir: '/same/root', name: 'same' });
    const theirs = await b.create({ root_dir: '/same/root', name: 'same' });
    expect(theirs.id).not.toBe(mine.id);
    const resolved = await b.send('POST', '/api/workspaces/resolve', { path: '/same/root/deeper' });
    expect(resolved.body.workspace.id).toBe(theirs.id);
    expect((await a.send('GET', ref('same'))).body.workspace.id).toBe(mine.id);
  });

  it('a key without the registry surface is refused (403)', async () => {
    const { key } = await api.key({ surfaces: ['memory'] });
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/surface' });
    for (const [method, path] of [
      ['GET', ref(ws.id)],
      ['POST', '/api/workspaces/resolve'],
      ['DELETE', ref(ws.id)],
    ]) {
      const res = await call(api.url, method, path, { key, body: method === 'POST' ? { path: '/x' } : undefined });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatch(/may not use the registry surface/);
    }
  });
});
