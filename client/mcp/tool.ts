import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type * as z from 'zod';
import type { SatchelClient } from '../sdk';

/** What a tool call runs with: the API client, and the agent the server acts for (SATCHEL_AGENT) when a call names none. */
export interface ToolContext {
  client: SatchelClient;
  agent?: string;
}

/** A tool's answer: the API's data (the call's structuredContent) and a short rendering for a model to read. */
export interface ToolAnswer {
  data: object;
  text: string;
}

/** One MCP tool: its input schema comes from the route contracts, its work is done through the typed SDK. */
export interface SatchelTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  /** Written for a model: what it does, when to use it, its limits. */
  description: string;
  input: S;
  /** The contract's response schema, when `data` is exactly that payload. */
  output?: z.ZodObject;
  annotations: ToolAnnotations;
  run(args: z.output<S>, context: ToolContext): Promise<ToolAnswer>;
}

export const tool = <S extends z.ZodObject>(t: SatchelTool<S>): SatchelTool => t as unknown as SatchelTool;

export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
export const WRITES: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, openWorldHint: false };
export const REPLACES: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, openWorldHint: false };
