import { createReadStream, createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import { agentFrom, withAgent } from '../agent';
import { connectFrom, printJson, withConnection } from '../connection';
import { formatBytes } from '../progress';
import { counter, oneFile } from '../transfer';
import { printTable } from '../table';
import type { AddItemInput, ItemScope, ScopeArgs } from '../../sdk/items';
import type { SatchelClient } from '../../sdk';

/** `satchel items add|get|list|rm|mv|search|status`: scoped workspace items (seed 003). */

interface ScopeOptions {
  scope?: ItemScope;
  session?: string;
}

function withScope(command: Command): Command {
  return withAgent(
    withConnection(command).option('-s, --scope <scope>', 'agent (default), session, company or temporary'),
    'agent of the agent scope',
  ).option('--session <id>', 'session of the session scope (implies --scope session)');
}

/** The scope and its id: the agent from --agent/SATCHEL_AGENT, the session from --session. */
function scopeOf(o: ScopeOptions, command: Command): ScopeArgs {
  const scope = o.scope ?? (o.session ? 'session' : undefined);
  if (o.session && scope !== 'session') throw new Error(`--session applies to the session scope, not --scope ${scope}`);
  return { scope, scopeId: scope === 'session' ? o.session : scope === undefined || scope === 'agent' ? agentFrom(command) : undefined };
}

function parseMetadata(json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new Error(`--metadata must be a JSON object, e.g. '{"team": "docs"}'`);
}

/** The most the server takes inline; larger content goes through a staged upload. */
const INLINE_MAX_BYTES = 1024 * 1024;

/** Inline content: text stays text, anything else goes base64. */
function inline(bytes: Buffer): { content: string; encoding: 'utf8' | 'base64' } {
  const text = !bytes.includes(0) && Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
  return text ? { content: bytes.toString('utf8'), encoding: 'utf8' } : { content: bytes.toString('base64'), encoding: 'base64' };
}

/**
 * Adds a file, or stdin for `-` or no file: up to 1 MiB inline, larger through a staged upload
 * (the bytes stream straight to storage, with progress).
 */
async function addContent(client: SatchelClient, add: Omit<AddItemInput, 'content' | 'encoding'>, file: string | undefined) {
  const fromFile = file !== undefined && file !== '-';
  if (fromFile && statSync(file).isDirectory())
    throw new Error(`${file} is a folder: add its files one by one (satchel items add <itemPath> <file>)`);
  const size = fromFile ? statSync(file).size : undefined;
  const bytes = size === undefined || size <= INLINE_MAX_BYTES ? readFileSync(fromFile ? file : 0) : undefined;
  if (bytes && bytes.length <= INLINE_MAX_BYTES) return client.addItem({ ...add, ...inline(bytes) });
  const total = bytes?.length ?? (size as number);
  const name = fromFile ? basename(file) : 'stdin';
  const progress = oneFile('upload', total, 'nothing was added; run the same command again to start over');
  try {
    const source = bytes ? Readable.from([bytes]) : createReadStream(file as string);
    const body = Readable.toWeb(source.pipe(counter(progress, name))) as ReadableStream<Uint8Array>;
    const result = await client.uploadItem({ ...add, body, size: total });
    progress.done(name, total);
    return result;
  } finally {
    progress.stop();
  }
}

/** Streams an item over 1 MiB from its downloadUrl to a file (with progress) or stdout; the file appears only when complete. */
async function download(url: string, size: number, out: string | undefined, name: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`the download failed (storage answered HTTP ${res.status}); try again`);
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  if (!out) return pipeline(body, process.stdout);
  const progress = oneFile('download', size);
  const temp = `${out}.satchel-part`;
  try {
    await pipeline(body, counter(progress, name), createWriteStream(temp));
    await rename(temp, out);
    progress.done(name, size);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    progress.stop();
  }
}

export function registerItems(program: Command): void {
  const items = program.command('items').description('Scoped workspace items with lifetimes, and semantic search');

  withScope(items.command('add <itemPath> [file]'))
    .description('Add an item from a file, stdin (no file or "-"), or --file-url (fetched by the server); over 1 MiB is uploaded')
    .option('--file-url <url>', 'fetch the content from this https URL instead')
    .option('-t, --content-type <type>', 'content type (default: from the extension or the bytes)')
    .option('-m, --metadata <json>', 'metadata object, as JSON')
    .option('-f, --overwrite', 'replace an existing item')
    .action(
      async (
        itemPath: string,
        file: string | undefined,
        o: ScopeOptions & { fileUrl?: string; contentType?: string; metadata?: string; overwrite?: boolean },
        command: Command,
      ) => {
        const metadata = {
          ...(o.metadata ? parseMetadata(o.metadata) : {}),
          ...(o.contentType ? { contentType: o.contentType } : {}),
          ...(o.overwrite ? { overwrite: true } : {}),
        };
        const client = connectFrom(command);
        const add = { ...scopeOf(o, command), itemPath, metadata };
        const result = o.fileUrl ? await client.addItem({ ...add, fileUrl: o.fileUrl }) : await addContent(client, add, file);
        printJson(result);
        if (result.status === 'pending')
          console.error(
            `${itemPath} is being fetched or indexed in the background: \`satchel items status ${itemPath}\` shows when it is ready`,
          );
      },
    );

  withScope(items.command('get <itemPath>'))
    .description('Print an item (content only with --raw; --out writes the bytes to a file, downloading items over 1 MiB)')
    .option('--raw', 'print only the content')
    .option('-o, --out <file>', 'write the content to a file')
    .action(async (itemPath: string, o: ScopeOptions & { raw?: boolean; out?: string }, command: Command) => {
      const item = await connectFrom(command).getItem({ ...scopeOf(o, command), itemPath });
      if (!o.raw && !o.out) return printJson(item);
      if (item.content === null) return download(item.downloadUrl as string, item.size, o.out, basename(itemPath));
      const bytes = Buffer.from(item.content, item.encoding === 'base64' ? 'base64' : 'utf8');
      if (o.out) writeFileSync(o.out, bytes);
      else process.stdout.write(bytes);
    });

  withScope(items.command('list'))
    .description('List the items of a scope')
    .option('-p, --prefix <prefix>', 'only paths starting with this')
    .option('-l, --long', 'all fields, as JSON')
    .action(async (o: ScopeOptions & { prefix?: string; long?: boolean }, command: Command) => {
      const all = await connectFrom(command).listAllItems({ ...scopeOf(o, command), prefix: o.prefix });
      if (o.long) return printJson(all);
      if (!all.length)
        return console.log(`No items${o.prefix ? ` under ${o.prefix}` : ''} in the ${o.scope ?? (o.session ? 'session' : 'agent')} scope.`);
      printTable(
        ['SIZE', 'EXPIRES', 'PATH'],
        all.map((item) => [formatBytes(item.size), item.expiresAt ?? 'permanent', item.path]),
        [0],
      );
    });

  withScope(items.command('rm <itemPath>'))
    .description('Delete an item')
    .action(async (itemPath: string, o: ScopeOptions, command: Command) =>
      printJson(await connectFrom(command).deleteItem({ ...scopeOf(o, command), itemPath })),
    );

  withScope(items.command('mv <fromPath> <toPath>'))
    .description('Move or rename an item, within or across scopes (--to-scope, --to-agent, --to-session)')
    .option('--to-scope <scope>', 'destination scope (default: the source scope)')
    .option('--to-agent <id>', 'destination agent (default: --agent / SATCHEL_AGENT)')
    .option('--to-session <id>', 'destination session (implies --to-scope session)')
    .action(
      async (
        fromPath: string,
        toPath: string,
        o: ScopeOptions & { toScope?: ItemScope; toAgent?: string; toSession?: string },
        command: Command,
      ) => {
        const from = scopeOf(o, command);
        const toScope = o.toScope ?? (o.toSession ? 'session' : o.toAgent ? 'agent' : undefined);
        const toScopeId = toScope === 'session' ? o.toSession : toScope === 'agent' ? (o.toAgent ?? agentFrom(command)) : undefined;
        printJson(
          await connectFrom(command).moveItem({ fromScope: from.scope, fromScopeId: from.scopeId, fromPath, toPath, toScope, toScopeId }),
        );
      },
    );

  withScope(items.command('search <query>'))
    .description('Semantic search in a scope')
    .option('-n, --limit <n>', 'results (default 10, max 50)', Number)
    .option('--min-score <score>', 'minimum score 0..1 (default 0.7)', Number)
    .action(async (query: string, o: ScopeOptions & { limit?: number; minScore?: number }, command: Command) =>
      printJson(await connectFrom(command).searchItems({ ...scopeOf(o, command), query, limit: o.limit, minScore: o.minScore })),
    );

  withScope(items.command('status <itemPath>'))
    .description('State of an item: ready, pending (being fetched or indexed) or failed')
    .action(async (itemPath: string, o: ScopeOptions, command: Command) =>
      printJson(await connectFrom(command).itemStatus({ ...scopeOf(o, command), itemPath })),
    );
}
