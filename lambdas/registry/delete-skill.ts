import { httpHandler } from '../kit/http';
import { deleteSkill } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(deleteSkill, ({ auth, params }) => registry.deleteComponent(auth, 'skill', params.id, params.name));
