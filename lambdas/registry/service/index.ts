/** The workspace registry (seed 002): key layout in ./store, rules in docs/registry.md. */
export { createWorkspace, deleteWorkspace, listWorkspaces, resolveWorkspace, updateWorkspace } from './workspaces';
export { getWorkspaceDetail } from './detail';
export { deleteComponent, putComponent } from './components';
export { createSession, listSessions, updateSession } from './sessions';
