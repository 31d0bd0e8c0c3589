import { httpHandler } from '../kit/http';
import { moveItem } from '../contracts/items';
import * as items from './service/items';

export const handler = httpHandler(moveItem, async ({ auth, body }) => {
  const { path } = await items.moveItem(auth, body ?? {});
  return { success: true, path, message: 'Item moved' };
});
