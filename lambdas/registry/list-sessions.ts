import { httpHandler } from '../kit/http';
import { listSessions } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(listSessions, async ({ auth, params }) => ({ sessions: await registry.listSessions(auth, params.id) }));
