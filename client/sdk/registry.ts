import type { z } from 'zod';
import type * as contracts from '../../lambdas/contracts/registry';
import type { SatchelHttp } from './http';

/** The workspace registry (seed 002). A workspace reference is its id, its absolute root path or its name. */
type Body<C extends { body: z.ZodType }> = z.input<C['body']>;
type Reply<C extends { response: z.ZodType }> = z.output<C['response']>;

const workspacePath = (ref: string): string => `/api/workspaces/${encodeURIComponent(ref)}`;
const componentPath = (ref: string, kind: string, name: string): string => `${workspacePath(ref)}/${kind}/${encodeURIComponent(name)}`;

export function registryMethods(http: SatchelHttp) {
  const unwrap = async <K extends string, T>(key: K, reply: Promise<Record<K, T>>): Promise<T> => (await reply)[key];
  return {
    listWorkspaces: () => unwrap('workspaces', http.request<Reply<typeof contracts.listWorkspaces>>('GET', '/api/workspaces')),
    createWorkspace: (body: Body<typeof contracts.createWorkspace>) =>
      unwrap('workspace', http.request<Reply<typeof contracts.createWorkspace>>('POST', '/api/workspaces', { body })),
    /** Idempotent: the workspace holding `path`, registered on first use. */
    resolveWorkspace: (path: string) =>
      unwrap(
        'workspace',
        http.request<Reply<typeof contracts.resolveWorkspace>>('POST', '/api/workspaces/resolve', { body: { path }, idempotent: true }),
      ),
    /** The workspace with its agents, providers, skills and sessions. */
    getWorkspace: (ref: string) => http.request<Reply<typeof contracts.getWorkspace>>('GET', workspacePath(ref)),
    updateWorkspace: (ref: string, body: Body<typeof contracts.updateWorkspace>) =>
      unwrap('workspace', http.request<Reply<typeof contracts.updateWorkspace>>('PATCH', workspacePath(ref), { body })),
    deleteWorkspace: (ref: string) => http.request<void>('DELETE', workspacePath(ref)),

    putAgent: (ref: string, name: string, body: Body<typeof contracts.putAgent>) =>
      unwrap('agent', http.request<Reply<typeof contracts.putAgent>>('PUT', componentPath(ref, 'agents', name), { body })),
    deleteAgent: (ref: string, name: string) => http.request<void>('DELETE', componentPath(ref, 'agents', name)),
    putSkill: (ref: string, name: string, body: Body<typeof contracts.putSkill>) =>
      unwrap('skill', http.request<Reply<typeof contracts.putSkill>>('PUT', componentPath(ref, 'skills', name), { body })),
    deleteSkill: (ref: string, name: string) => http.request<void>('DELETE', componentPath(ref, 'skills', name)),
    putProvider: (ref: string, name: string, body: Body<typeof contracts.putProvider>) =>
      unwrap('provider', http.request<Reply<typeof contracts.putProvider>>('PUT', componentPath(ref, 'providers', name), { body })),
    deleteProvider: (ref: string, name: string) => http.request<void>('DELETE', componentPath(ref, 'providers', name)),

    listSessions: (ref: string) =>
      unwrap('sessions', http.request<Reply<typeof contracts.listSessions>>('GET', `${workspacePath(ref)}/sessions`)),
    /** Safe to retry only with a client-chosen `id` (a repeat is then 409, not a duplicate). */
    createSession: (ref: string, body: Body<typeof contracts.createSession> = {}) =>
      unwrap(
        'session',
        http.request<Reply<typeof contracts.createSession>>('POST', `${workspacePath(ref)}/sessions`, {
          body,
          idempotent: body.id !== undefined,
        }),
      ),
    updateSession: (ref: string, sessionId: string, body: Body<typeof contracts.updateSession>) =>
      unwrap(
        'session',
        http.request<Reply<typeof contracts.updateSession>>('PATCH', `${workspacePath(ref)}/sessions/${encodeURIComponent(sessionId)}`, {
          body,
        }),
      ),
  };
}
