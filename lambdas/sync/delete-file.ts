import { httpHandler } from '../kit/http';
import { syncAgent } from './agent';
import { deleteFile } from './contracts';
import * as sync from './service';

export const handler = httpHandler(deleteFile, async ({ auth, headers, query, params }) => sync.deleteFile(syncAgent(auth, headers, query.agentId), params.filePath));
