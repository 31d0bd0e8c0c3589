import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { connectFrom, printJson, withConnection } from '../connection';
import type { ItemScope } from '../../sdk/items';

/** `satchel items add|get|list|rm|mv|search|status`: scoped workspace items (seed 003). */

interface ScopeOptions {
  scope?: ItemScope;
  scopeId?: string;
}

function withScope(command: Command): Command {
  return withConnection(command)
    .option('-s, --scope <scope>', 'agent (default), session, company or temporary')
    .option('-i, --scope-id <id>', 'agent id (scope agent) or session id (scope session)');
}

const scopeOf = (o: ScopeOptions) => ({ scope: o.scope, scopeId: o.scopeId });

/** Reads a file, or stdin for `-` or no file: text stays text, anything else goes base64. */
function readContent(file: string | undefined): { content: string; encoding: 'utf8' | 'base64' } {
  const bytes = readFileSync(file && file !== '-' ? file : 0);
  const text = !bytes.includes(0) && Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
  return text ? { content: bytes.toString('utf8'), encoding: 'utf8' } : { content: bytes.toString('base64'), encoding: 'base64' };
}

export function registerItems(program: Command): void {
  const items = program.command('items').description('Scoped workspace items with lifetimes, and semantic search');

  withScope(items.command('add <itemPath> [file]'))
    .description('Add an item from a file, stdin (no file or "-"), or --file-url (fetched by the server)')
    .option('--file-url <url>', 'fetch the content from this https URL instead')
    .option('-t, --content-type <type>', 'content type (default: from the extension or the bytes)')
    .option('-m, --metadata <json>', 'metadata object, as JSON')
    .option('-f, --overwrite', 'replace an existing item')
    .action(async (itemPath: string, file: string | undefined, o: ScopeOptions & { fileUrl?: string; contentType?: string; metadata?: string; overwrite?: boolean }, command: Command) => {
      const metadata = {
        ...(o.metadata ? (JSON.parse(o.metadata) as Record<string, unknown>) : {}),
        ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.overwrite ? { overwrite: true } : {}),
      };
      const source = o.fileUrl ? { fileUrl: o.fileUrl } : readContent(file);
      printJson(await connectFrom(command).addItem({ ...scopeOf(o), itemPath, ...source, metadata }));
    });

  withScope(items.command('get <itemPath>'))
    .description('Print an item (content only with --raw; --out writes the bytes to a file)')
    .option('--raw', 'print only the content')
    .option('-o, --out <file>', 'write the content to a file')
    .action(async (itemPath: string, o: ScopeOptions & { raw?: boolean; out?: string }, command: Command) => {
      const item = await connectFrom(command).getItem({ ...scopeOf(o), itemPath });
      if (!o.raw && !o.out) return printJson(item);
      if (item.content === null) throw new Error(`The item is larger than 1 MiB: download it from ${item.downloadUrl}`);
      const bytes = Buffer.from(item.content, item.encoding === 'base64' ? 'base64' : 'utf8');
      if (o.out) writeFileSync(o.out, bytes);
      else process.stdout.write(bytes);
    });

  withScope(items.command('list'))
    .description('List the items of a scope')
    .option('-p, --prefix <prefix>', 'only paths starting with this')
    .option('-l, --long', 'all fields, as JSON')
    .action(async (o: ScopeOptions & { prefix?: string; long?: boolean }, command: Command) => {
      const all = await connectFrom(command).listAllItems({ ...scopeOf(o), prefix: o.prefix });
      if (o.long) return printJson(all);
      for (const item of all) console.log(`${String(item.size).padStart(10)}  ${item.expiresAt ?? 'permanent'.padEnd(24)}  ${item.path}`);
    });

  withScope(items.command('rm <itemPath>'))
    .description('Delete an item')
    .action(async (itemPath: string, o: ScopeOptions, command: Command) => printJson(await connectFrom(command).deleteItem({ ...scopeOf(o), itemPath })));

  withScope(items.command('mv <fromPath> <toPath>'))
    .description('Move or rename an item, within or across scopes (--to-scope, --to-scope-id)')
    .option('--to-scope <scope>', 'destination scope (default: the source scope)')
    .option('--to-scope-id <id>', 'destination agent or session id')
    .action(async (fromPath: string, toPath: string, o: ScopeOptions & { toScope?: ItemScope; toScopeId?: string }, command: Command) =>
      printJson(await connectFrom(command).moveItem({ fromScope: o.scope, fromScopeId: o.scopeId, fromPath, toPath, toScope: o.toScope, toScopeId: o.toScopeId })),
    );

  withScope(items.command('search <query>'))
    .description('Semantic search in a scope')
    .option('-n, --limit <n>', 'results (default 10, max 50)', Number)
    .option('--min-score <score>', 'minimum score 0..1 (default 0.7)', Number)
    .action(async (query: string, o: ScopeOptions & { limit?: number; minScore?: number }, command: Command) =>
      printJson(await connectFrom(command).searchItems({ ...scopeOf(o), query, limit: o.limit, minScore: o.minScore })),
    );

  withScope(items.command('status <itemPath>'))
    .description('State of an item: ready, pending (being fetched) or failed')
    .action(async (itemPath: string, o: ScopeOptions, command: Command) => printJson(await connectFrom(command).itemStatus({ ...scopeOf(o), itemPath })));
}
