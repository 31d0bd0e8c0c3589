import { ROUTES } from '../../../lambdas/routes';
import { call, startTestApi, type TestApi } from '../../support/api';
import { ref, registryTenant } from '../../support/registry';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

// every test gets its own tenant with one workspace and one session: no test sees another's requests
let t: Awaited<ReturnType<typeof registryTenant>>;
let ws: { id: string };
let sessionId: string;
beforeEach(async () => {
  t = await registryTenant(api);
  ws = await t.create({ root_dir: '/bad/input' });
  sessionId = (await t.send('POST', `${ref(ws.id)}/sessions`, {})).body.session.id;
});

/** The refused request wrote nothing: the tenant still holds just the workspace and session of `beforeEach`. */
async function expectNothingWritten() {
  const detail = (await t.send('GET', ref(ws.id))).body;
  expect(detail.workspace).toMatchObject({ root_dir: '/bad/input', add_dirs: [] });
  expect(detail.agents).toEqual([]);
  expect(detail.skills).toEqual([]);
  expect(detail.providers).toEqual([]);
  expect(detail.sessions.map((s: { id: string; state: string }) => [s.id, s.state])).toEqual([[sessionId, 'starting']]);
  expect((await t.send('GET', '/api/workspaces')).body.workspaces.map((w: { id: string }) => w.id)).toEqual([ws.id]);
}

/** Every registry route with a body: a valid body, a wrongly typed one, and what is required. */
interface BodyRoute {
  method: string;
  path: () => string;
  valid: Record<string, unknown>;
  wrongType: [Record<string, unknown>, RegExp];
  missing?: [Record<string, unknown>, RegExp];
}
const bodyRoutes: Record<string, BodyRoute> = {
  'POST /api/workspaces': {
    method: 'POST',
    path: () => '/api/workspaces',
    valid: { root_dir: '/v/create' },
    wrongType: [{ root_dir: '/v', add_dirs: '/a' }, /body\.add_dirs: Invalid input: expected array, received string/],
    missing: [{ name: 'n' }, /body\.root_dir: Invalid input: expected string, received undefined/],
  },
  'POST /api/workspaces/resolve': {
    method: 'POST',
    path: () => '/api/workspaces/resolve',
    valid: { path: '/v/resolve' },
    wrongType: [{ path: 42 }, /body\.path: Invalid input: expected string, received number/],
    missing: [{}, /body\.path: Invalid input: expected string, received undefined/],
  },
  'PATCH /api/workspaces/{id}': {
    method: 'PATCH',
    path: () => ref(ws.id),
    valid: { default_agent: 'a' },
    wrongType: [{ name: ['x'] }, /body\.name: Invalid input: expected string, received array/],
  },
  'PUT /api/workspaces/{id}/agents/{name}': {
    method: 'PUT',
    path: () => `${ref(ws.id)}/agents/coder`,
    valid: { model: 'm' },
    wrongType: [
      { mcp_servers: [{ name: 'x', secret_env: { K: 1 } }] },
      /body\.mcp_servers\.0\.secret_env\.K: Invalid input: expected string, received number/,
    ],
    missing: [{ mcp_servers: [{ command: 'x' }] }, /body\.mcp_servers\.0\.name: Invalid input: expected string, received undefined/],
  },
  'PUT /api/workspaces/{id}/skills/{name}': {
    method: 'PUT',
    path: () => `${ref(ws.id)}/skills/lint`,
    valid: { dir: '/s' },
    wrongType: [{ dir: true }, /body\.dir: Invalid input: expected string, received boolean/],
  },
  'PUT /api/workspaces/{id}/providers/{name}': {
    method: 'PUT',
    path: () => `${ref(ws.id)}/providers/p`,
    valid: { harness: 'h' },
    wrongType: [{ default_model: {} }, /body\.default_model: Invalid input: expected string, received object/],
  },
  'POST /api/workspaces/{id}/sessions': {
    method: 'POST',
    path: () => `${ref(ws.id)}/sessions`,
    valid: {},
    wrongType: [{ state: 'dancing' }, /body\.state: Invalid option: expected one of "starting"\|"running"\|"idle"\|"stopping"\|"stopped"/],
    missing: [
      { acp_caps: { supports_load_session: 'yes' } },
      /body\.acp_caps\.supports_load_session: Invalid input: expected boolean, received string/,
    ],
  },
  'PATCH /api/workspaces/{id}/sessions/{sessionId}': {
    method: 'PATCH',
    path: () => `${ref(ws.id)}/sessions/${sessionId}`,
    valid: { state: 'running' },
    wrongType: [
      { activity: { elapsed_seconds: 'long' } },
      /body\.activity\.elapsed_seconds: Invalid input: expected number, received string/,
    ],
  },
};

/** Every registry route that names a workspace, with a request that would otherwise succeed. */
const unknownIdRequests: Record<string, { method: string; path: (id: string) => string; body?: Record<string, unknown> }> = {
  'GET /api/workspaces/{id}': { method: 'GET', path: (id) => ref(id) },
  'PATCH /api/workspaces/{id}': { method: 'PATCH', path: (id) => ref(id), body: { name: 'n' } },
  'DELETE /api/workspaces/{id}': { method: 'DELETE', path: (id) => ref(id) },
  'PUT /api/workspaces/{id}/agents/{name}': { method: 'PUT', path: (id) => `${ref(id)}/agents/a`, body: {} },
  'DELETE /api/workspaces/{id}/agents/{name}': { method: 'DELETE', path: (id) => `${ref(id)}/agents/a` },
  'PUT /api/workspaces/{id}/skills/{name}': { method: 'PUT', path: (id) => `${ref(id)}/skills/a`, body: {} },
  'DELETE /api/workspaces/{id}/skills/{name}': { method: 'DELETE', path: (id) => `${ref(id)}/skills/a` },
  'PUT /api/workspaces/{id}/providers/{name}': { method: 'PUT', path: (id) => `${ref(id)}/providers/a`, body: {} },
  'DELETE /api/workspaces/{id}/providers/{name}': { method: 'DELETE', path: (id) => `${ref(id)}/providers/a` },
  'GET /api/workspaces/{id}/sessions': { method: 'GET', path: (id) => `${ref(id)}/sessions` },
  'POST /api/workspaces/{id}/sessions': { method: 'POST', path: (id) => `${ref(id)}/sessions`, body: {} },
  'PATCH /api/workspaces/{id}/sessions/{sessionId}': { method: 'PATCH', path: (id) => `${ref(id)}/sessions/s1`, body: {} },
};

const registryRoutes = ROUTES.filter((r) => r.handler.startsWith('registry/')).map((r) => `${r.method} ${r.path}`);

describe('registry bad input', () => {
  it('the tables below cover every registry route', () => {
    const withBody = ROUTES.filter((r) => r.handler.startsWith('registry/') && r.contract.body).map((r) => `${r.method} ${r.path}`);
    expect(Object.keys(bodyRoutes).sort()).toEqual(withBody.sort());
    const withId = registryRoutes.filter((r) => r.includes('{id}'));
    expect(Object.keys(unknownIdRequests).sort()).toEqual(withId.sort());
  });

  describe.each(Object.entries(bodyRoutes))('%s', (_name, route) => {
    it('malformed JSON is 400', async () => {
      const res = await t.send(route.method, route.path(), '{"root_dir": ');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/^Request body is not valid JSON/);
      await expectNothingWritten();
    });

    it('a missing body is 400', async () => {
      const res = await call(api.url, route.method, route.path(), { key: t.key });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/^body: Invalid input: expected object, received undefined/);
      await expectNothingWritten();
    });

    it('a wrongly typed field is 400 naming the field', async () => {
      const res = await t.send(route.method, route.path(), route.wrongType[0]);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(route.wrongType[1]);
      await expectNothingWritten();
    });

    if (route.missing) {
      const [body, message] = route.missing;
      it('a missing required field is 400 naming the field', async () => {
        const res = await t.send(route.method, route.path(), body);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatch(message);
        await expectNothingWritten();
      });
    }

    it('an unknown field is 400 naming the field', async () => {
      const res = await t.send(route.method, route.path(), { ...route.valid, surprise: 1 });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/body: Unrecognized key: "surprise"/);
      await expectNothingWritten();
    });

    it('a body over 1 MiB is 413', async () => {
      const res = await t.send(route.method, route.path(), { ...route.valid, padding: 'x'.repeat(1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body.error).toMatch(/Request body is \d+ bytes; the limit is 1048576 bytes/);
      await expectNothingWritten();
    });
  });

  it.each(Object.entries(unknownIdRequests))('%s: an unknown workspace is 404 naming it', async (_name, request) => {
    const res = await t.send(request.method, request.path('ws_unknown'), request.body);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('Workspace "ws_unknown" not found');
    await expectNothingWritten();
  });

  it('PATCH of an unknown session is 404 naming it', async () => {
    const res = await t.send('PATCH', `${ref(ws.id)}/sessions/sess_unknown`, { state: 'idle' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe(`No session "sess_unknown" in workspace "${ws.id}"`);
    await expectNothingWritten();
  });

  it('malformed path parameters are 400 naming them', async () => {
    const name = await t.send('PUT', `${ref(ws.id)}/agents/${encodeURIComponent('-bad name')}`, {});
    expect(name.status).toBe(400);
    expect(name.body.error).toMatch(/^path\.name: must be 1-128 letters/);
    const session = await t.send('PATCH', `${ref(ws.id)}/sessions/${encodeURIComponent('a/b')}`, {});
    expect(session.status).toBe(400);
    expect(session.body.error).toMatch(/^path\.sessionId: must be 1-128 letters/);
    const encoding = await t.send('GET', '/api/workspaces/%E0%A4%A');
    // refused by the gateway before any function runs, as an HTTP API does
    expect(encoding.status).toBe(400);
    expect(encoding.body.message).toBe('Bad Request');
    const control = await t.send('GET', ref('/bad\u0001path'));
    expect(control.status).toBe(400);
    expect(control.body.error).toBe('path must not contain control characters');
    await expectNothingWritten();
  });

  it('an item DynamoDB could not store is 413, not 500', async () => {
    const prompt = 'p'.repeat(99_000);
    const mcp_servers = Array.from({ length: 4 }, (_, i) => ({
      name: `s${i}`,
      env: Object.fromEntries(Array.from({ length: 6 }, (_, k) => [`K${k}`, 'v'.repeat(16_000)])),
    }));
    const res = await t.send('PUT', `${ref(ws.id)}/agents/huge`, { prompt, mcp_servers });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/^The agent "huge" is \d+ bytes when stored; the limit is 350000 bytes/);
    await expectNothingWritten();
  });

  // the baseline the refusals are measured against: each body route's valid body is taken
  it.each(Object.entries(bodyRoutes))('%s takes its valid body', async (_name, route) => {
    const res = await t.send(route.method, route.path(), route.valid);
    expect(res.status).toBeLessThan(300);
  });
});
