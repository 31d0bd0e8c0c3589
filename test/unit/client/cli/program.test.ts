import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The CLI loads only the command group a command line names: a `satchel sync push` must not pay
 * for the MCP server, the zod schemas or the other groups at every start (a second or so under
 * tsx on a busy machine). Checked in a fresh process, as the CLI starts.
 */
const ROOT = join(__dirname, '..', '..', '..', '..');

/** The project's modules and packages a fresh process has loaded after building the program for `argv`. */
const loadedFor = (argv: string[]): string[] =>
  loadedAfter(`require('./client/cli/program').buildProgram(${JSON.stringify(['node', 'satchel', ...argv])})`);

/** The project's modules and packages a fresh process has loaded after running `code`. */
function loadedAfter(code: string): string[] {
  const script = `${code}; console.log(JSON.stringify(Object.keys(require.cache)));`;
  const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return (JSON.parse(run.stdout) as string[]).map((file) => file.slice(ROOT.length + 1));
}

const groupsIn = (files: string[]) =>
  files
    .filter((f) => f.startsWith('client/cli/commands/'))
    .map((f) => f.replace(/^client\/cli\/commands\/(.*)\.ts$/, '$1'))
    .sort();

describe('satchel loads the command group it runs', () => {
  it('a sync command loads the sync group alone: no MCP server, no zod, no other group', () => {
    const loaded = loadedFor(['sync', 'push', '.']);
    expect(groupsIn(loaded)).toEqual(['sync']);
    expect(loaded.filter((f) => /node_modules\/(zod|@modelcontextprotocol|mime-db)\//.test(f))).toEqual([]);
  });

  it('help, an unknown command and no command at all load every group (for help and suggestions)', () => {
    const all = ['deployments', 'files', 'items', 'keys', 'mcp', 'memory', 'sync'];
    expect(groupsIn(loadedFor(['--help']))).toEqual(all);
    expect(groupsIn(loadedFor(['synk']))).toEqual(all);
    expect(groupsIn(loadedFor([]))).toEqual(all);
    expect(groupsIn(loadedFor(['memory', 'pull']))).toEqual(['memory']);
  });

  it('the keys commands, which need DynamoDB Local alone, do not load the S3 emulator and its web stack', () => {
    // what `satchel keys …` loads once it runs (client/cli/commands/keys.ts requires it lazily)
    const loaded = loadedAfter("require('./local/key-target')");
    expect(loaded).toContain('local/dynamodb-local.ts');
    expect(loaded.filter((f) => /node_modules\/(@20minutes\/s3rver|koa|lodash)\//.test(f))).toEqual([]);
  });
});
