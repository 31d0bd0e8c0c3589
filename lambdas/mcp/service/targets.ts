/**
 * The routes (handler modules) the tools of `POST /mcp` call: it may hand requests to these and no
 * others, and the stack lets its function invoke exactly their functions.
 */
export const MCP_TARGETS = [
  'items/search-items',
  'items/add-item',
  'items/get-item',
  'items/list-items',
  'items/move-item',
  'items/delete-item',
  'memory/get-status',
  'memory/push-changes',
  'memory/pull-changes',
  'registry/resolve-workspace',
  'registry/get-workspace',
  'files/list-files',
  'files/sync-files',
  'files/pull-files',
];
