import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../support/api';
import { answerProblem, baseline, operations, send, type Hints, type Operation, type Used } from '../support/generated';
import { seedTenant, type TenantFixture } from '../support/tenant-fixture';

/**
 * Tenancy and agent matrix, generated from the route table. Tenant A has data on every surface,
 * part of it owned by agent `alpha`. Every authenticated operation is sent aimed at that data (its
 * ids, paths, names and scopes, filled in by field name) by two attackers:
 * - tenant B's tenant-wide key: must see no byte of A's data; a route whose path names A's data answers 403 or 404;
 * - A's key bound to agent `beta`: must see no byte of alpha's data; any request that names alpha's
 *   data (one of its ids, or alpha's id as a path parameter or an agent field) answers 403 or 404.
 *   (A's shared data beta may read and change by the rule in docs/api.md: it is aimed at by B only.)
 * Lists and searches are sent too (they must simply show nothing). At the end A reads all of its data back.
 */

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-matrix-'));

let api: TestApi;
let victim: TenantFixture;
let attackers: { who: string; key: string; forbidden: string[]; aims: string[]; deniedWhen: (used: Used[]) => boolean }[];

/** Where an agent's id says whose data a request is about: a path parameter, or a field naming an agent or an agent scope. */
const NAMES_AN_AGENT = /agent|scopeId|stack_id/i;

beforeAll(async () => {
  api = await startTestApi();
  victim = await seedTenant(api, 'alpha');
  expect(await victim.missingMarkers()).toEqual([]);
  const { key: otherTenant } = await api.key();
  const { key: otherAgent } = await api.key({ tenant: victim.tenant, agent: 'beta' });
  attackers = [
    {
      who: 'tenant B',
      key: otherTenant,
      forbidden: [...victim.markers.agent, ...victim.markers.tenant],
      aims: ['agent data', 'shared data'],
      // names and paths resolve in B's own tenant; A's ids exist nowhere in it
      deniedWhen: (used) => used.some((u) => victim.tenantIds.has(u.value)),
    },
    {
      who: 'agent beta of tenant A',
      key: otherAgent,
      forbidden: victim.markers.agent,
      // what the tenant shares (company items, skills) beta may read and write by the rule (docs/api.md)
      aims: ['agent data'],
      deniedWhen: (used) =>
        used.some((u) => victim.agentIds.has(u.value) || (u.value === victim.agent && (u.in === 'path' || NAMES_AN_AGENT.test(u.field)))),
    },
  ];
}, 120_000);
afterAll(() => api.close());

const AUTHENTICATED = operations().filter((op) => op.route.auth);

describe.each(AUTHENTICATED.map((op) => [op.name, op] as const))('%s', (_name, op: Operation) => {
  it("gives tenant B and another agent of A nothing of A's data", async () => {
    const problems: string[] = [];
    const sent = new Set<string>();
    for (const [aim, hints] of [
      ['agent data', victim.hints],
      ['shared data', victim.sharedHints],
    ] as [string, Hints][]) {
      const { spec, used } = baseline(op, hints);
      const fingerprint = JSON.stringify(spec);
      if (sent.has(fingerprint)) continue; // the route takes nothing that tells the two aims apart
      sent.add(fingerprint);
      for (const attacker of attackers.filter((a) => a.aims.includes(aim))) {
        const answer = await send(api.url, op, spec, { authorization: `Bearer ${attacker.key}` });
        const where = `${attacker.who}, aimed at ${aim} (${JSON.stringify(spec).slice(0, 200)})`;
        const problem = answerProblem(op, answer);
        if (problem) problems.push(`${where}: ${problem}`);
        // an answer may repeat what the request said (a path in a 404 message); it may show nothing else of A's
        const asked = JSON.stringify(spec);
        const leaked = attacker.forbidden.filter((marker) => answer.text.includes(marker) && !asked.includes(marker));
        if (leaked.length) problems.push(`${where}: answer shows ${leaked.join(', ')}: ${answer.text.slice(0, 300)}`);
        if (attacker.deniedWhen(used) && answer.status !== 403 && answer.status !== 404) {
          problems.push(`${where}: answered ${answer.status}, not 403/404: ${answer.text.slice(0, 300)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('afterwards', () => {
  it("every piece of A's data is still there, unchanged", async () => {
    expect(await victim.missingMarkers()).toEqual([]);
  });
});
