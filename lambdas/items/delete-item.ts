import { httpHandler } from '../kit/http';
import { deleteItem } from '../contracts/items';
import * as items from './service/items';

export const handler = httpHandler(deleteItem, async ({ auth, body }) => {
  await items.deleteItem(auth, body ?? {});
  return { success: true, message: 'Item deleted' };
});
