import { call, startTestApi, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

describe('local gateway and authorizer', () => {
  it('answers /health without a key', async () => {
    const res = await call(api.url, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('refuses a protected route without a key (401) and with an unknown key (403)', async () => {
    expect((await call(api.url, 'GET', '/api/workspaces')).status).toBe(401);
    const res = await call(api.url, 'GET', '/api/workspaces', { key: `sk-${'x'.repeat(43)}` });
    expect(res.status).toBe(403);
  });

  it('refuses a key whose surfaces do not include the route', async () => {
    const { key } = await api.key({ surfaces: ['memory'] });
    const res = await call(api.url, 'GET', '/api/workspaces', { key });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/registry/);
  });

  it('answers an unknown path with 404', async () => {
    expect((await call(api.url, 'GET', '/nope')).status).toBe(404);
  });
});
