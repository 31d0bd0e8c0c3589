import { createSatchelClient, SatchelError } from '../../../client/sdk';
import { startTestApi, type TestApi } from '../../support/api';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

describe('registry SDK methods', () => {
  it('drive the whole registry through the local API', async () => {
    const { key } = await api.key();
    const client = createSatchelClient({ baseUrl: api.url, apiKey: key, retries: 0 });
    const ws = await client.createWorkspace({ root_dir: '/sdk/app/' });
    expect(ws.root_dir).toBe('/sdk/app');
    expect((await client.resolveWorkspace('/sdk/app/src')).id).toBe(ws.id);
    expect((await client.updateWorkspace(ws.id, { default_agent: 'coder' })).default_agent).toBe('coder');
    expect((await client.putAgent(ws.id, 'coder', { model: 'm' })).name).toBe('coder');
    expect((await client.putSkill(ws.id, 'lint', { dir: '/s' })).dir).toBe('/s');
    expect((await client.putProvider(ws.id, 'p', { harness: 'h' })).harness).toBe('h');
    const session = await client.createSession('/sdk/app', { agent_name: 'coder' });
    expect((await client.updateSession(ws.name, session.id, { state: 'stopped' })).state).toBe('stopped');
    expect(await client.listSessions(ws.id)).toHaveLength(1);
    const detail = await client.getWorkspace('/sdk/app');
    expect([detail.agents.length, detail.skills.length, detail.providers.length, detail.sessions.length]).toEqual([1, 1, 1, 1]);
    await client.deleteAgent(ws.id, 'coder');
    await client.deleteSkill(ws.id, 'lint');
    await client.deleteProvider(ws.id, 'p');
    expect(await client.listWorkspaces()).toEqual([{ ...ws, default_agent: 'coder', updated_at: expect.any(String) }]);
    await client.deleteWorkspace(ws.id);
    const error = await client.getWorkspace(ws.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SatchelError);
    expect(error).toMatchObject({ status: 404, message: `Workspace "${ws.id}" not found` });
  });
});
