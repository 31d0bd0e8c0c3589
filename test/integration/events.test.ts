import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES } from '../../lambdas/routes';
import { KeyStore } from '../../lambdas/auth/service/keys';
import { documentClient } from '../../lambdas/kit/aws';
import { config } from '../../lambdas/kit/config';
import type { HttpEvent } from '../../lambdas/kit/http';
import { eventFile, renderEvents, sampleBody, sampleParams, sampleQuery, SAMPLE_TENANT } from '../../local/sample-events';
import { lambdaContext, loadHandler } from '../../local/server';
import { assertErrorEnvelope, unwrapSuccess } from '../support/envelope';

const root = join(__dirname, '..', '..');
const rows = ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const);
const expected = renderEvents(ROUTES);

describe('events/: one API Gateway payload 2.0 event per route', () => {
  it.each(rows)('%s has its event file, as `npm run events` writes it', (_name, route) => {
    const file = join(root, eventFile(route));
    if (!existsSync(file)) throw new Error(`${eventFile(route)} is missing: run npm run events`);
    if (readFileSync(file, 'utf8') !== expected.get(eventFile(route))) throw new Error(`${eventFile(route)} is stale: run npm run events`);
  });

  it('holds no event of a route that is gone', () => {
    const orphans = readdirSync(join(root, 'events')).filter((name) => !expected.has(`events/${name}`));
    if (orphans.length) throw new Error(`${orphans.join(', ')} belong to no route: run npm run events`);
  });

  it.each(rows)(
    '%s: sample path, query and body satisfy the contract (else give the schema .meta({ examples: [...] }))',
    (_name, route) => {
      const c = route.contract;
      for (const [part, schema, value] of [
        ['params', c.params, sampleParams(route)],
        ['query', c.query, sampleQuery(route)],
        ['body', c.body, sampleBody(route)],
      ] as const) {
        if (!schema) continue;
        const result = schema.safeParse(value);
        if (!result.success) throw new Error(`sample ${part} ${JSON.stringify(value)} fails the contract: ${result.error.message}`);
      }
    },
  );
});

describe('handlers', () => {
  it.each(rows)('%s: the handler module binds the route contract object', (_name, route) => {
    expect(loadHandler(route.handler).contract).toBe(route.contract);
  });

  describe('invoked with their sample event', () => {
    // the events act for tenant `example`: make it a tenant the test DynamoDB knows
    beforeAll(() => new KeyStore(documentClient(), config.tableName('apiKeys')).create({ tenant: SAMPLE_TENANT }));

    it.each(rows)('%s answers without a 5xx, in its surface envelope', async (_name, route) => {
      const event = JSON.parse(readFileSync(join(root, eventFile(route)), 'utf8')) as HttpEvent;
      const result = await loadHandler(route.handler)(event, lambdaContext(route, event.requestContext.requestId));
      const status = result.statusCode ?? 200;
      if (status >= 500) throw new Error(`${status}: ${result.body}`);
      const contentType = String(result.headers?.['content-type'] ?? '');
      if (status === 204 || !/json/.test(contentType)) {
        if (status === 204) expect(result.body).toBeUndefined();
        else expect(contentType).not.toBe('');
        return;
      }
      const body = JSON.parse(result.body ?? '') as unknown;
      if (status >= 400) return assertErrorEnvelope(route.contract.surface, status, body);
      const payload = unwrapSuccess(route.contract.surface, body);
      const schema = route.contract.response;
      if (schema) {
        const parsed = schema.safeParse(payload);
        if (!parsed.success) throw new Error(`response does not fit the contract: ${parsed.error.message}`);
      }
    });
  });
});
