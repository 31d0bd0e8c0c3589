import * as contracts from '../../../lambdas/contracts/items';
import type { ItemScope } from '../../sdk/items';
import { READ_ONLY, REPLACES, tool, WRITES, type ToolContext } from '../tool';

/** Scoped items (seed 003): documents an agent keeps in four scopes, with semantic search. */

const SCOPES_HELP =
  'Scopes: "agent" (default; the agent\'s own items, kept 7 days), "session" (one session, kept 24 hours, needs scopeId = the session id), ' +
  '"company" (shared by the whole tenant, permanent) and "temporary" (tenant-wide scratch space, kept 10 minutes).';

/** With scope `agent` and no scopeId, the server's agent (SATCHEL_AGENT) is the one meant. */
function agentDefault(scope: string | undefined, scopeId: string | undefined, context: ToolContext): string | undefined {
  return (scope ?? 'agent') === 'agent' && !scopeId ? context.agent : scopeId;
}

/** The call's scope arguments as the SDK takes them (the server checks the scope's name). */
const scoped = <A extends { scope?: string; scopeId?: string }>(args: A, context: ToolContext) => ({
  ...args,
  scope: args.scope as ItemScope | undefined,
  scopeId: agentDefault(args.scope, args.scopeId, context),
});

// staged uploads need a PUT of local bytes, which a tool call cannot make: content or fileUrl only
const addItemInput = contracts.addItem.body.unwrap().omit({ upload: true }).required({ itemPath: true });
const moveItemInput = contracts.moveItem.body.unwrap().required({ fromPath: true });
const deleteItemInput = contracts.deleteItem.body.unwrap().required({ itemPath: true });
const getItemInput = contracts.getItem.query.required({ itemPath: true });

const preview = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);

export const ITEM_TOOLS = [
  tool({
    name: 'search_items',
    title: 'Search items',
    description:
      'Semantic search over the items of one scope: returns the best-matching passage of each item, best first, with a score ' +
      'from 0 to 1 ((1 + cosine) / 2). Use it to find what was stored earlier before adding something new or answering from memory. ' +
      `Searches one scope per call. limit: at most 50 items (default 10); minScore: default 0.7, lower it (e.g. 0.5) when nothing comes back. ${SCOPES_HELP}`,
    input: contracts.search.body,
    output: contracts.search.response,
    annotations: READ_ONLY,
    async run(args, context) {
      const data = await context.client.searchItems(scoped(args, context));
      const lines = data.results.map((r) => `- ${r.path} (score ${r.score.toFixed(2)}): ${preview(r.content.replace(/\s+/g, ' '))}`);
      return {
        data,
        text: [`${data.totalResults} result${data.totalResults === 1 ? '' : 's'} for ${JSON.stringify(data.query)}`, ...lines].join('\n'),
      };
    },
  }),
  tool({
    name: 'add_item',
    title: 'Add an item',
    description:
      'Stores a document under a path (e.g. /notes/meeting.md) in a scope and indexes it for search_items. Give the text in content ' +
      '(up to 1 MiB; binary as base64 with encoding "base64"), or an https fileUrl the server fetches (up to 100 MiB). Large items ' +
      '(long text, large files) are accepted with status "pending", fetched and indexed in the background, and are not readable or searchable until then. An existing path is refused unless metadata.overwrite is true; ' +
      `metadata.contentType sets the type. ${SCOPES_HELP}`,
    input: addItemInput,
    output: contracts.addItem.response,
    annotations: WRITES,
    async run(args, context) {
      const data = await context.client.addItem(scoped(args, context));
      return { data, text: `${data.message} (${data.path}, ${data.status})` };
    },
  }),
  tool({
    name: 'get_item',
    title: 'Read an item',
    description:
      'Reads one item by path: its content (text as is; binary as base64 with encoding "base64"; over 1 MiB only a short-lived downloadUrl), ' +
      `type, size, metadata and expiry. Use list_items or search_items to find paths. ${SCOPES_HELP}`,
    input: getItemInput,
    output: contracts.getItem.response,
    annotations: READ_ONLY,
    async run(args, context) {
      const data = await context.client.getItem(scoped(args, context));
      const head = `${data.path} (${data.contentType}, ${data.size} bytes${data.expiresAt ? `, expires ${data.expiresAt}` : ''})`;
      const body =
        data.content === null
          ? `Too large to inline: download it from ${data.downloadUrl}`
          : data.encoding === 'base64'
            ? 'Binary content: base64 in structuredContent.content'
            : data.content;
      return { data, text: `${head}\n\n${body}` };
    },
  }),
  tool({
    name: 'list_items',
    title: 'List items',
    description:
      'Lists the live items of a scope in path order (path, type, size, metadata, expiry; no content). prefix narrows to paths starting ' +
      `with it; limit sets the page size (default 100, at most 1000); pass nextCursor back as cursor for the next page. ${SCOPES_HELP}`,
    input: contracts.listItems.query,
    output: contracts.listItems.response,
    annotations: READ_ONLY,
    async run(args, context) {
      const data = await context.client.listItems(scoped(args, context));
      const lines = data.items.map((i) => `- ${i.path} (${i.contentType}, ${i.size} bytes)`);
      const more = data.nextCursor ? [`More items: call again with cursor ${JSON.stringify(data.nextCursor)}`] : [];
      return { data, text: [`${data.items.length} item${data.items.length === 1 ? '' : 's'}`, ...lines, ...more].join('\n') };
    },
  }),
  tool({
    name: 'move_item',
    title: 'Move an item',
    description:
      'Moves or renames an item, within a scope or into another one (e.g. promote an agent note to "company"). Atomic; the item\'s ' +
      'lifetime restarts under the destination scope. toPath defaults to fromPath, toScope to fromScope. An existing destination is refused. ' +
      SCOPES_HELP,
    input: moveItemInput,
    output: contracts.moveItem.response,
    annotations: WRITES,
    async run(args, context) {
      const fromScopeId = agentDefault(args.fromScope, args.fromScopeId, context);
      const toScope = args.toScope ?? args.fromScope;
      const toScopeId =
        args.toScopeId ?? ((toScope ?? 'agent') === 'agent' && (args.fromScope ?? 'agent') !== 'agent' ? context.agent : undefined);
      const data = await context.client.moveItem({
        ...args,
        fromScope: args.fromScope as ItemScope | undefined,
        toScope: args.toScope as ItemScope | undefined,
        fromScopeId,
        toScopeId,
      });
      return { data, text: data.message };
    },
  }),
  tool({
    name: 'delete_item',
    title: 'Delete an item',
    description: `Deletes one item by path, with its search index entries. It cannot be undone. ${SCOPES_HELP}`,
    input: deleteItemInput,
    output: contracts.deleteItem.response,
    annotations: { ...REPLACES, idempotentHint: true },
    async run(args, context) {
      const data = await context.client.deleteItem(scoped(args, context));
      return { data, text: data.message };
    },
  }),
];
