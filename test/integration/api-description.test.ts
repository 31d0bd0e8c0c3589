import { ROUTES } from '../../lambdas/routes';
import { openApiPath } from '../../lambdas/system/service/openapi-document';
import { SWAGGER_UI_ASSETS } from '../../lambdas/system/service/api-reference';
import { call, startTestApi, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

type Operation = {
  operationId: string;
  summary: string;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  security: unknown[];
};

describe('GET /openapi.json', () => {
  let doc: { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: any };
  beforeAll(async () => {
    const res = await call(api.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    doc = res.body;
  });

  it('is an OpenAPI 3.1 document with a bearer security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Satchel');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.components.securitySchemes.apiKey).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
  });

  it('describes envelopes, keys, errors and limits itself, pointing at no file a reader of a deployed API cannot open', () => {
    const description = (doc.info as unknown as { description: string }).description;
    expect(description).not.toMatch(/docs\/|\.md\b|npx /);
    expect(description).toContain(
      '| `sync` — workspace sync (`/agent/sync/*`) | `{"data":…}` | `{"error":{"code":"INVALID_REQUEST","message":…}}` |',
    );
    expect(description).toContain('| `memory` — memory sync (`/sync/*`) | `{"success":true,"data":…}` |');
    expect(description).toMatch(/## Authentication\n.*Bearer sk-…/);
    expect(description).toMatch(/## Errors\n400 /);
    expect(description).toMatch(/## Limits\nRequest bodies up to \d+ bytes/);
  });

  it('lists every route of the route table with its method, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = ROUTES.map((r) => `${r.method} ${openApiPath(r.path)}`);
    expect(documented.sort()).toEqual(expected.sort());
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: parameters, body, responses, security', (_name, route) => {
    const op = doc.paths[openApiPath(route.path)][route.method.toLowerCase()];
    expect(op.summary).toBe(route.contract.summary);
    const pathParams = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]);
    expect(op.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathParams);
    expect(op.parameters.filter((p) => p.in === 'path').every((p) => p.required)).toBe(true);
    if (route.contract.body) expect(op.requestBody?.content['application/json'].schema).toBeDefined();
    else expect(op.requestBody).toBeUndefined();
    expect(op.responses[String(route.contract.successStatus ?? 200)]).toBeDefined();
    expect(op.responses['500'].content?.['application/json'].schema).toBeDefined();
    if (route.auth) {
      expect(op.security).toEqual([{ apiKey: [] }]);
      expect(op.responses['401']).toBeDefined();
      expect(op.responses['403']).toBeDefined();
    } else {
      expect(op.security).toEqual([]);
    }
    // OpenAPI 3.1 schemas are JSON Schema 2020-12: no per-schema dialect marker is left in
    expect(JSON.stringify(op)).not.toContain('$schema');
  });

  it('lists 429 on every route (stage limits in AWS); routes with a quota or a search dependency answer it in their envelope with Retry-After', () => {
    const own = ROUTES.filter((r) => r.contract.quotas?.length || r.access.embed || r.access.search);
    // the caps of docs/api.md "Quotas" and the throttling of Bedrock and OpenSearch
    expect(own.map((r) => r.handler)).toEqual(
      expect.arrayContaining(['files/create-deployment', 'sync/presign-urls', 'items/add-item', 'items/search-items']),
    );
    for (const route of ROUTES) {
      const answer = doc.paths[openApiPath(route.path)][route.method.toLowerCase()].responses['429'] as {
        description: string;
        headers?: Record<string, { schema: unknown }>;
        content: Record<string, { schema: any }>;
      };
      expect([route.handler, answer]).toEqual([
        route.handler,
        expect.objectContaining({ description: expect.stringContaining('API Gateway') }),
      ]);
      const schema = answer.content['application/json'].schema;
      if (!own.includes(route)) {
        expect(schema).toEqual({ type: 'object', properties: { message: { type: 'string' } }, required: ['message'] });
        expect(answer.headers).toBeUndefined();
        continue;
      }
      expect(answer.headers?.['Retry-After'].schema).toEqual({ type: 'integer', minimum: 1 });
      for (const quota of route.contract.quotas ?? []) expect(answer.description).toContain(quota);
      // the surface's own error envelope beside the gateway's {message}
      expect(schema.oneOf).toHaveLength(2);
      expect(JSON.stringify(schema.oneOf[1])).toContain('"code"');
    }
    const deployments = doc.paths['/api/deployments'].post.responses['429'].content!['application/json'].schema as { oneOf: unknown[] };
    expect(deployments.oneOf[1]).toEqual({
      type: 'object',
      properties: {
        success: { const: false },
        error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] },
      },
      required: ['success', 'error'],
    });
  });

  it("lists 207 for sandbox sync and pull: success false, an error, and every file's result in data; no other route answers 207", () => {
    for (const [path, list] of [
      ['/api/deployments/{id}/files/sync', 'syncedFiles'],
      ['/api/deployments/{id}/files/pull', 'pulledFiles'],
    ]) {
      const responses = doc.paths[path].post.responses;
      const partial = responses['207'].content!['application/json'].schema as any;
      expect(partial.required).toEqual(['success', 'message', 'error', 'data']);
      expect(partial.properties.success).toEqual({ const: false });
      expect(partial.properties.error.required).toEqual(['code', 'message']);
      // the same payload as the 200 answer
      expect(partial.properties.data).toEqual((responses['200'].content!['application/json'].schema as any).properties.data);
      expect(Object.keys(partial.properties.data.properties)).toEqual([list, 'failedFiles']);
    }
    const with207 = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.responses['207'])
        .map(([m]) => `${m} ${path}`),
    );
    expect(with207.sort()).toEqual(['post /api/deployments/{id}/files/pull', 'post /api/deployments/{id}/files/sync']);
  });

  it('wraps each success payload in its surface envelope (registry: bare objects)', () => {
    const get = doc.paths['/api/workspaces/{id}']?.get;
    expect(get).toBeDefined();
    const schema = get.responses['200'].content!['application/json'].schema as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['workspace', 'agents', 'providers', 'skills', 'sessions']));
    const error = get.responses['404'].content!['application/json'].schema as { properties: Record<string, unknown> };
    expect(Object.keys(error.properties)).toEqual(['error']);
    const create = doc.paths['/api/workspaces'].post;
    expect(create.responses['201']).toBeDefined();
    expect((create.requestBody!.content['application/json'].schema as { required: string[] }).required).toEqual(['root_dir']);
  });
});

describe('GET /docs', () => {
  it('renders swagger-ui from local assets only (no CDN)', async () => {
    const res = await call(api.url, 'GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = res.body as string;
    expect(html).toContain('SwaggerUIBundle');
    expect(html).toContain("url: '/openapi.json'");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) expect(ref).toMatch(/^\/docs\/[\w.-]+$/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves every referenced asset with its content type and cache headers', async () => {
    const html = (await call(api.url, 'GET', '/docs')).body as string;
    for (const ref of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])) {
      const res = await fetch(api.url + ref);
      expect(res.status).toBe(200);
      const name = ref.slice('/docs/'.length);
      expect(res.headers.get('content-type')).toBe(SWAGGER_UI_ASSETS[name]);
      expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect((await res.text()).length).toBeGreaterThan(1000);
    }
  });

  it('refuses files outside the allow-list with 404', async () => {
    for (const name of ['package.json', 'index.html', '..%2Fpackage.json', 'constructor']) {
      const res = await call(api.url, 'GET', `/docs/${name}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(/No asset/);
    }
  });
});
