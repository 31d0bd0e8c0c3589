import { REDACTED } from '../../../lambdas/contracts/registry';
import { startTestApi, type TestApi } from '../../support/api';
import { ref, registryTenant } from '../../support/registry';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const agent = {
  command: 'claude',
  model: 'sonnet',
  provider: 'anthropic',
  permissions: 'ask',
  prompt: 'Be brief.',
  tools: ['read', 'write'],
  toolsets: ['fs'],
  deny_tools: ['rm'],
  mcp_servers: [
    {
      name: 'github',
      transport: 'stdio',
      command: 'gh-mcp',
      args: ['--verbose'],
      env: { LOG: 'debug' },
      secret_env: { GITHUB_TOKEN: 'ghp_secret', OTHER: 'x' },
      auth: { type: 'oauth', client_id: 'cid', scopes: ['repo'] },
    },
  ],
};

describe('registry: agents, skills, providers', () => {
  it('PUT creates and replaces; the detail view lists them sorted by name; DELETE removes (204)', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/c/one' });
    const skill = await t.send('PUT', `${ref(ws.id)}/skills/zeta`, { dir: '/skills/zeta', source: 'git' });
    expect(skill.status).toBe(200);
    expect(skill.body).toEqual({ skill: { name: 'zeta', dir: '/skills/zeta', source: 'git' } });
    await t.send('PUT', `${ref(ws.id)}/skills/alpha`, { name: 'alpha', dir: '/skills/alpha' });
    const provider = await t.send('PUT', `${ref(ws.id)}/providers/anthropic`, {
      display_name: 'Anthropic',
      harness: 'claude-code',
      runtime_provider: 'api',
      default_model: 'opus',
    });
    expect(provider.body.provider).toEqual({
      name: 'anthropic',
      display_name: 'Anthropic',
      harness: 'claude-code',
      runtime_provider: 'api',
      default_model: 'opus',
    });
    // replace whole: fields not sent are gone
    await t.send('PUT', `${ref(ws.id)}/providers/anthropic`, { display_name: 'Claude' });

    const detail = (await t.send('GET', ref(ws.name))).body;
    expect(detail.skills.map((s: { name: string }) => s.name)).toEqual(['alpha', 'zeta']);
    expect(detail.providers).toEqual([{ name: 'anthropic', display_name: 'Claude' }]);

    expect((await t.send('DELETE', `${ref(ws.id)}/skills/zeta`)).status).toBe(204);
    const missing = await t.send('DELETE', `${ref(ws.id)}/skills/zeta`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/No skill named "zeta"/);
    expect((await t.send('GET', ref(ws.id))).body.skills.map((s: { name: string }) => s.name)).toEqual(['alpha']);
  });

  it('stores secret_env values but answers them redacted, keys kept', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/c/secrets' });
    const put = await t.send('PUT', `${ref(ws.id)}/agents/coder`, agent);
    expect(put.status).toBe(200);
    const expected = {
      name: 'coder',
      ...agent,
      mcp_servers: [{ ...agent.mcp_servers[0], secret_env: { GITHUB_TOKEN: REDACTED, OTHER: REDACTED } }],
    };
    expect(put.body.agent).toEqual(expected);
    const detail = await t.send('GET', ref(ws.id));
    expect(detail.body.agents).toEqual([expected]);
    expect(JSON.stringify(detail.body)).not.toContain('ghp_secret');
  });

  it('a PUT that sends a redacted value back keeps the stored secret; one with no stored value is 400', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/c/roundtrip' });
    await t.send('PUT', `${ref(ws.id)}/agents/coder`, agent);
    const read = (await t.send('GET', ref(ws.id))).body.agents[0];
    const edited = { ...read, model: 'opus', mcp_servers: [{ ...read.mcp_servers[0], secret_env: { GITHUB_TOKEN: REDACTED, NEW: 'n' } }] };
    expect((await t.send('PUT', `${ref(ws.id)}/agents/coder`, edited)).status).toBe(200);
    const { getItem, keys, tables } = await import('../../../lambdas/registry/service/store');
    const stored = await getItem(tables.workspaces(), keys.component(t.tenant, ws.id, 'agent', 'coder'));
    expect((stored as typeof agent).mcp_servers[0].secret_env).toEqual({ GITHUB_TOKEN: 'ghp_secret', NEW: 'n' });
    expect(stored!.model).toBe('opus');

    const bad = await t.send('PUT', `${ref(ws.id)}/agents/coder`, { mcp_servers: [{ name: 'github', secret_env: { UNKNOWN: REDACTED } }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/mcp_servers\[0\]\.secret_env\.UNKNOWN is "\[redacted\]" but no value is stored/);
  });

  it('refuses a body name that differs from the path (400) and an unknown workspace (404)', async () => {
    const t = await registryTenant(api);
    const ws = await t.create({ root_dir: '/c/names' });
    const mismatch = await t.send('PUT', `${ref(ws.id)}/agents/coder`, { name: 'other' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toMatch(/body.name "other" does not match the agent name in the path "coder"/);
    const unknown = await t.send('PUT', `${ref('ws_missing')}/agents/coder`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('Workspace "ws_missing" not found');
  });

  it('an agent-bound key manages its own agent only (another agent is 404)', async () => {
    const admin = await registryTenant(api);
    const ws = await admin.create({ root_dir: '/c/bound' });
    const bound = await registryTenant(api, { tenant: admin.tenant, agent: 'coder' });
    expect((await bound.send('PUT', `${ref(ws.id)}/agents/coder`, { model: 'm' })).status).toBe(200);
    const other = await bound.send('PUT', `${ref(ws.id)}/agents/reviewer`, { model: 'm' });
    expect(other.status).toBe(404);
    expect((await bound.send('DELETE', `${ref(ws.id)}/agents/reviewer`)).status).toBe(404);
    expect((await admin.send('GET', ref(ws.id))).body.agents.map((a: { name: string }) => a.name)).toEqual(['coder']);
  });
});
