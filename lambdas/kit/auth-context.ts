import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';
import { forbidden } from './errors';
import { SURFACES, type Surface } from './surfaces';

/** Who is calling, as the authorizer established it from the API key. */
export interface AuthContext {
  tenant: string;
  /** Set when the key is bound to one agent: the key may act for that agent only. */
  agent?: string;
  surfaces: Surface[];
  keyId: string;
}

/** What the authorizer puts into `requestContext.authorizer.lambda` (flat strings: API Gateway's rule). */
export interface AuthorizerContext {
  tenant: string;
  agent: string;
  surfaces: string;
  keyId: string;
}

export function toAuthorizerContext(auth: AuthContext): AuthorizerContext {
  return { tenant: auth.tenant, agent: auth.agent ?? '', surfaces: auth.surfaces.join(','), keyId: auth.keyId };
}

export function authFromEvent(event: APIGatewayProxyEventV2WithLambdaAuthorizer<Partial<AuthorizerContext>>): AuthContext | undefined {
  const ctx = event.requestContext?.authorizer?.lambda;
  if (!ctx?.tenant || !ctx.keyId) return undefined;
  const surfaces = (ctx.surfaces ?? '').split(',').filter((s): s is Surface => (SURFACES as readonly string[]).includes(s));
  return { tenant: ctx.tenant, agent: ctx.agent || undefined, surfaces, keyId: ctx.keyId };
}

export function requireSurface(auth: AuthContext, surface: Surface): void {
  if (!auth.surfaces.includes(surface)) throw forbidden(`This API key may not use the ${surface} surface`);
}

/**
 * The agent a request acts for. An agent-bound key acts for its own agent only; another
 * agent's name is answered as not found, so a key cannot even detect other agents' data.
 */
export function actingAgent(auth: AuthContext, requested: string | undefined, notFound: () => Error): string | undefined {
  if (auth.agent) {
    if (requested !== undefined && requested !== auth.agent) throw notFound();
    return auth.agent;
  }
  return requested;
}
