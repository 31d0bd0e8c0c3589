/**
 * API Gateway caches the authorizer's answer per Authorization header (5 minutes in the stack). The
 * local gateway caches an allow for LOCAL_AUTHORIZER_CACHE_MS: an agent's burst of calls makes one key
 * lookup in DynamoDB Local (3-5 ms each) instead of one per call, and a revoked key stops working
 * within that time. A refusal is not cached (a key created a moment later works at once). One cache
 * per server: two servers in one process may read different key tables.
 */
export const LOCAL_AUTHORIZER_CACHE_MS = 2_000;
const AUTHORIZER_CACHE_ENTRIES = 1_000;

export class AuthorizerCache {
  private readonly allowed = new Map<string, { context: Record<string, string>; until: number }>();

  get(header: string): Record<string, string> | undefined {
    const entry = this.allowed.get(header);
    if (entry && entry.until > Date.now()) return entry.context;
    this.allowed.delete(header);
    return undefined;
  }

  allow(header: string, context: Record<string, string>): void {
    if (this.allowed.size >= AUTHORIZER_CACHE_ENTRIES) this.allowed.delete(this.allowed.keys().next().value as string);
    this.allowed.set(header, { context, until: Date.now() + LOCAL_AUTHORIZER_CACHE_MS });
  }
}
