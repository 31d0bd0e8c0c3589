import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type * as z from 'zod';
import * as files from '../../lambdas/contracts/files';
import * as items from '../../lambdas/contracts/items';
import * as memory from '../../lambdas/contracts/memory';
import * as registry from '../../lambdas/contracts/registry';
import { jsonSchema, type JsonSchema } from '../../lambdas/system/service/openapi-document';

/** The route contract part each API tool's arguments come from; a tool's argument named like a route field must have its schema. */
const CONTRACT_OF: Record<string, z.ZodType[]> = {
  search_items: [items.search.body],
  add_item: [items.addItem.body.unwrap()],
  get_item: [items.getItem.query],
  list_items: [items.listItems.query],
  move_item: [items.moveItem.body.unwrap()],
  delete_item: [items.deleteItem.body.unwrap()],
  memory_status: [memory.syncStatus.query],
  memory_push: [memory.syncPush.body],
  memory_pull: [memory.syncPull.body],
  resolve_workspace: [registry.resolveWorkspace.body],
  get_workspace: [registry.getWorkspace.params],
  list_files: [files.listFiles.query],
  sync_files_to_sandbox: [files.syncFiles.body],
  pull_files_from_sandbox: [files.pullFiles.body],
};

/** Descriptions are written for a model in the tool; the constraints must be the route's. */
function constraints(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(constraints);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== 'description' && k !== '$schema')
      .map(([k, v]) => [k, constraints(v)]),
  );
}

export function expectContractSchemas(tools: Tool[]): void {
  for (const [name, parts] of Object.entries(CONTRACT_OF)) {
    const tool = tools.find((t) => t.name === name);
    expect(tool).toBeDefined();
    const properties = tool!.inputSchema.properties as Record<string, JsonSchema>;
    let compared = 0;
    for (const part of parts) {
      const route = jsonSchema(part, 'input').properties as Record<string, JsonSchema>;
      for (const [field, schema] of Object.entries(route)) {
        if (!(field in properties) || field === 'operations') continue;
        expect({ tool: name, field, schema: constraints(properties[field]) }).toEqual({ tool: name, field, schema: constraints(schema) });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
  }
  // memory_push describes each operation with the schema the service checks operations against
  const push = tools.find((t) => t.name === 'memory_push')!.inputSchema.properties as Record<string, JsonSchema>;
  expect(constraints(push.operations.items)).toEqual(constraints(jsonSchema(memory.memoryOperation, 'input')));
  expect(tools.find((t) => t.name === 'add_item')!.inputSchema.required).toContain('itemPath');
}
