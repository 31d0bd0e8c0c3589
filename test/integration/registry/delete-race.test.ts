import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { keys } from '../../../lambdas/registry/service/store';
import { startTestApi, type TestApi } from '../../support/api';
import { ref, registryTenant } from '../../support/registry';

/**
 * A workspace delete racing new sessions (docs/registry.md, Concurrency guarantees): whichever wins,
 * no session outlives its workspace and no open session loses it. Either the delete wins (204; the
 * sessions answer 404 or 409, and nothing of them is stored) or a session does (201; the delete
 * answers 409 and the workspace keeps it). Which one wins differs from run to run; what is asserted
 * holds for every order.
 */
let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

const ROUNDS = 12;

async function storedSessions(tenant: string, workspaceId: string): Promise<unknown[]> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: config.tableName('sessions'),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.children(tenant, workspaceId) },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

it('never leaves a session without its workspace, nor deletes a workspace with an open session', async () => {
  const t = await registryTenant(api);
  const workspaces = await Promise.all(Array.from({ length: ROUNDS }, (_, i) => t.create({ root_dir: `/race/w${i}` })));
  const outcomes = await Promise.all(
    workspaces.map(async (ws, i) => {
      // a stopped session opens nothing: it may be created before the delete and go with it
      const [opened, deleted, stopped] = await Promise.all([
        t.send('POST', `${ref(ws.id)}/sessions`, { id: `open-${i}` }),
        t.send('DELETE', ref(ws.id)),
        t.send('POST', `${ref(ws.id)}/sessions`, { id: `stopped-${i}`, state: 'stopped' }),
      ]);
      return { ws, opened, deleted, stopped };
    }),
  );

  for (const { ws, opened, deleted, stopped } of outcomes) {
    for (const res of [opened, deleted, stopped]) {
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) expect(res.body).toEqual({ error: expect.any(String) });
    }
    const detail = await t.send('GET', ref(ws.id));
    if (deleted.status === 204) {
      expect([404, 409]).toContain(opened.status);
      expect([201, 404, 409]).toContain(stopped.status);
      expect(detail.status).toBe(404);
      expect(await storedSessions(t.tenant, ws.id)).toEqual([]);
    } else {
      expect(deleted.status).toBe(409);
      expect(opened.status).toBe(201);
      expect(detail.status).toBe(200);
      const kept = (detail.body.sessions as { id: string }[]).map((s) => s.id).sort();
      expect(kept).toEqual(stopped.status === 201 ? [opened.body.session.id, stopped.body.session.id].sort() : [opened.body.session.id]);
      expect((await storedSessions(t.tenant, ws.id)).length).toBe(kept.length);
    }
  }

  // a deleted workspace's root and name are free again, and a new registration starts empty
  const gone = outcomes.find((o) => o.deleted.status === 204);
  if (gone) {
    const again = await t.send('POST', '/api/workspaces', { root_dir: gone.ws.root_dir });
    expect(again.status).toBe(201);
    expect(again.body.workspace.name).toBe(gone.ws.name);
    expect((await t.send('GET', ref(again.body.workspace.id))).body.sessions).toEqual([]);
  }
});

it('a session created after the delete is refused, and one that exists keeps the delete from happening', async () => {
  // the two orders of the race, one after the other: the answers each side must get
  const t = await registryTenant(api);
  const first = await t.create({ root_dir: '/race/delete-first' });
  expect((await t.send('DELETE', ref(first.id))).status).toBe(204);
  const late = await t.send('POST', `${ref(first.id)}/sessions`, { id: 'late' });
  expect(late.status).toBe(404);
  expect(await storedSessions(t.tenant, first.id)).toEqual([]);

  const second = await t.create({ root_dir: '/race/session-first' });
  expect((await t.send('POST', `${ref(second.id)}/sessions`, { id: 'early' })).status).toBe(201);
  const refused = await t.send('DELETE', ref(second.id));
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatch(/1 session\(s\) that are not stopped/);
  expect((await t.send('GET', ref(second.id))).body.sessions.map((s: { id: string }) => s.id)).toEqual(['early']);
});
