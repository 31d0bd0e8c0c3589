/** The API surfaces Satchel serves; an API key lists the ones it may use. */
export const SURFACES = ['sync', 'memory', 'registry', 'items', 'files'] as const;

export type Surface = (typeof SURFACES)[number];

/**
 * Routes outside every surface (health, API description) use the plain envelope; `POST /mcp` answers
 * in JSON-RPC, and each of its tool calls is held to the surface of the route it reaches.
 */
export type EnvelopeKind = Surface | 'system' | 'mcp';
/** The API surfaces Satchel serves and the envelope kinds of its routes (what a contract names). */
