import { config } from '../../kit/config';
import { globMatcher } from '../../shared/glob';
import { queryEntries, type ScopeRef, type FileEntry } from './store';

export type RestoreMode = 'full' | 'memory' | 'active';

/**
 * The session id of a saved-session path: files directly under `sessions/` named
 * `<sessionId>.<ext>` (the id is the name up to its last dot; a name without a dot is the id).
 */
export function sessionOf(path: string): string | undefined {
  const m = /^sessions\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  const name = m[1];
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/**
 * Which files a restore mode includes.
 * - `full`: every file.
 * - `memory`: memory files (config.syncMemoryPatterns).
 * - `active`: memory files + the config.syncActiveSessions most recent saved sessions (every file of
 *   those ids) + files backed up within the last config.syncActiveWindowHours hours.
 */
export async function restoreSelection(agent: ScopeRef, mode: RestoreMode, at: Date): Promise<(entry: FileEntry) => boolean> {
  if (mode === 'full') return () => true;
  const memory = globMatcher(config.syncMemoryPatterns);
  if (mode === 'memory') return (e) => memory(e.path);
  const since = new Date(at.getTime() - config.syncActiveWindowHours * 3600 * 1000).toISOString();
  const recent = await recentSessionIds(agent, config.syncActiveSessions);
  return (e) => {
    if (memory(e.path) || e.modified >= since) return true;
    const id = sessionOf(e.path);
    return id !== undefined && recent.has(id);
  };
}

async function recentSessionIds(agent: ScopeRef, count: number): Promise<Set<string>> {
  if (count <= 0) return new Set();
  return new Set((await savedSessions(agent)).slice(0, count).map((s) => s.sessionId));
}

export interface SavedSession {
  sessionId: string;
  entry: FileEntry;
}

/** Saved sessions, newest first; when several files share an id, the newest stands for it. */
export async function savedSessions(agent: ScopeRef): Promise<SavedSession[]> {
  const byId = new Map<string, SavedSession>();
  for (const entry of (await queryEntries(agent, { prefix: 'sessions/' })).entries) {
    const sessionId = sessionOf(entry.path);
    if (sessionId === undefined) continue;
    const known = byId.get(sessionId);
    if (!known || known.entry.modified < entry.modified) byId.set(sessionId, { sessionId, entry });
  }
  return [...byId.values()].sort((a, b) => b.entry.modified.localeCompare(a.entry.modified) || a.entry.path.localeCompare(b.entry.path));
}
