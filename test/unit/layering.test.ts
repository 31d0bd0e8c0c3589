import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { JOBS } from '../../lambdas/jobs';
import { ROUTES } from '../../lambdas/routes';
import { AUTHORIZER_HANDLER, VECTOR_INDEX_HANDLER } from '../../lib/functions';

/** The import graph of the runtime code (bin, lib, lambdas, local, client), read from the sources. */
const ROOT = join(__dirname, '..', '..');
const RUNTIME = ['bin', 'lib', 'lambdas', 'local', 'client'];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}
const files = RUNTIME.flatMap(sources);
const known = new Set(files);
const resolve = (from: string, spec: string): string | undefined => {
  const base = normalize(join(dirname(from), spec));
  return [base, `${base}.ts`, join(base, 'index.ts')].find((c) => known.has(c));
};
const edges = new Map(
  files.map((f) => {
    const text = readFileSync(join(ROOT, f), 'utf8');
    const specs = ts.preProcessFile(text, true, true).importedFiles.map((r) => r.fileName);
    for (const m of text.matchAll(/require\(\s*'(\.[^']+)'\s*\)/g)) specs.push(m[1]);
    return [
      f,
      [
        ...new Set(
          specs
            .filter((s) => s.startsWith('.'))
            .map((s) => resolve(f, s))
            .filter((t): t is string => t !== undefined),
        ),
      ],
    ];
  }),
);
const importsOf = (pattern: RegExp) => [...edges].flatMap(([from, tos]) => (pattern.test(from) ? tos.map((to) => `${from} -> ${to}`) : []));

describe('layering', () => {
  it('has no import loops', () => {
    const state = new Map<string, 'open' | 'done'>();
    const loops: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') return void loops.push([...path.slice(path.indexOf(f)), f].join(' -> '));
      state.set(f, 'open');
      for (const to of edges.get(f) ?? []) visit(to, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(loops).toEqual([]);
  });

  it('the runtime never imports the infrastructure or the local runtime', () => {
    expect(importsOf(/^lambdas\//).filter((e) => / -> (lib|bin|local)\//.test(e))).toEqual([]);
    // POST /mcp serves the very MCP server the CLI runs over stdio (client/mcp on top of the SDK): the one use of client/
    expect(importsOf(/^lambdas\//).filter((e) => / -> client\//.test(e) && !e.startsWith('lambdas/mcp/'))).toEqual([]);
  });

  it('contracts and shared modules depend on nothing but each other', () => {
    expect(importsOf(/^lambdas\/(contracts|shared)\//).filter((e) => !/ -> lambdas\/(contracts|shared)\//.test(e))).toEqual([]);
  });

  it('the SDK, the CLI and the MCP tools depend on contracts and shared modules only', () => {
    // `satchel keys` administers the key table itself (the first key cannot come through the API): its one way into local/
    const operator = ['client/cli/commands/keys.ts -> local/key-target.ts', 'client/cli/commands/keys.ts -> lambdas/auth/service/keys.ts'];
    const outside = importsOf(/^client\//).filter(
      (e) => / -> (lib|local)\//.test(e) || (/ -> lambdas\//.test(e) && !/ -> lambdas\/(contracts|shared)\//.test(e)),
    );
    expect(outside.filter((e) => !operator.includes(e))).toEqual([]);
  });

  it('the kit imports no surface, and a port none of its adapters (select.ts picks one)', () => {
    // the gateway matches requests against route rows: the route table's types are the kit's to read
    expect(
      importsOf(/^lambdas\/kit\//).filter(
        (e) => !/ -> lambdas\/(kit|contracts|shared|adapters)\/| -> lambdas\/routes\.ts$/.test(e) && / -> lambdas\//.test(e),
      ),
    ).toEqual([]);
    expect(importsOf(/^lambdas\/adapters\/[^/]+\/port\.ts$/).filter((e) => / -> lambdas\/adapters\//.test(e))).toEqual([]);
  });

  it('a surface folder lists exactly its deployable functions', () => {
    const entries = new Set([...ROUTES, ...JOBS].map((r) => r.handler).concat(AUTHORIZER_HANDLER, VECTOR_INDEX_HANDLER));
    const shared = new Set(['kit', 'adapters', 'contracts', 'shared']);
    const onDisk = files
      .map((f) => relative('lambdas', f).replace(/\.ts$/, ''))
      .filter((f) => !f.startsWith('..') && f.split('/').length === 2 && !shared.has(f.split('/')[0]));
    expect(onDisk.filter((f) => !entries.has(f)).sort()).toEqual([]);
    expect([...entries].filter((h) => !known.has(`lambdas/${h}.ts`)).sort()).toEqual([]);
  });
});
