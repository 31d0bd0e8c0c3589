import { join } from 'node:path';
import type { LambdaHandler } from '../../../../lambdas/kit/http';
import { ROUTES } from '../../../../lambdas/routes';

const registryRoutes = ROUTES.filter((r) => r.handler.startsWith('registry/'));

describe('registry route rows', () => {
  it.each(registryRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: the handler binds the row’s contract', (_name, route) => {
    const { handler } = require(join(__dirname, '../../../../lambdas', route.handler)) as { handler: LambdaHandler };
    expect(handler.contract).toBe(route.contract);
  });

  it('grant only what each route needs: reads never write, only session and delete routes touch sessions', () => {
    for (const route of registryRoutes) {
      const tables = route.access.tables ?? {};
      if (route.method === 'GET') expect(Object.values(tables)).not.toContain('write');
      const writesSessions = route.path.includes('/sessions') && route.method !== 'GET';
      const deletesWorkspace = route.method === 'DELETE' && route.path === '/api/workspaces/{id}';
      expect(tables.sessions === 'write').toBe(writesSessions || deletesWorkspace);
      expect(route.access.bucket).toBeUndefined();
    }
  });
});
