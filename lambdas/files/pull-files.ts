import { httpHandler } from '../kit/http';
import { pullFiles } from './contracts';
import { pullFromDesktop } from './transfers';

export const handler = httpHandler(pullFiles, async ({ auth, params, body }) => pullFromDesktop(auth, params.id, body.files));
