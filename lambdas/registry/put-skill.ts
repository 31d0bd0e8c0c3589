import { httpHandler } from '../kit/http';
import { putSkill } from '../contracts/registry';
import * as registry from './service';

export const handler = httpHandler(putSkill, async ({ auth, params, body }) => ({
  skill: await registry.putComponent(auth, 'skill', params.id, params.name, body),
}));
