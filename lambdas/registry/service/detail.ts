import type { AuthContext } from '../../kit/auth-context';
import type { Session, Workspace } from '../../contracts/registry';
import { splitComponents, type Components } from './components';
import { presentSessions } from './sessions';
import { keys, queryAll, tables } from './store';
import { requireWorkspace, toWorkspace } from './workspaces';

export interface WorkspaceDetail extends Components {
  workspace: Workspace;
  sessions: Session[];
}

/** The seed's detail view: the workspace with its agents, providers, skills and sessions. */
export async function getWorkspaceDetail(auth: AuthContext, ref: string): Promise<WorkspaceDetail> {
  const workspace = await requireWorkspace(auth.tenant, ref);
  const pk = keys.children(auth.tenant, workspace.id);
  const [components, sessions] = await Promise.all([queryAll(tables.workspaces(), pk), queryAll(tables.sessions(), pk, 'S#')]);
  return { workspace: toWorkspace(workspace), ...splitComponents(auth, components), sessions: presentSessions(auth, sessions) };
}
