import { httpHandler } from '../kit/http';
import { moveItem } from './contracts';
import * as items from './service';

export const handler = httpHandler(moveItem, async ({ auth, body }) => {
  const { path } = await items.moveItem(auth, body ?? {});
  return { success: true, path, message: 'Item moved' };
});
