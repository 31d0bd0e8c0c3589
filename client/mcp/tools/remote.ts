import type { SatchelTool } from '../tool';
import { FILE_TOOLS } from './files';
import { ITEM_TOOLS } from './items';
import { MEMORY_TOOLS } from './memory';
import { REGISTRY_TOOLS } from './registry';

/** The tools that need nothing but the API: served over stdio and by `POST /mcp`. */
export const REMOTE_TOOLS: SatchelTool[] = [...ITEM_TOOLS, ...MEMORY_TOOLS, ...REGISTRY_TOOLS, ...FILE_TOOLS];
