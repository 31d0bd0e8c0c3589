import { httpHandler, Reply } from '../kit/http';
import { addItem } from './contracts';
import * as items from './service';

export const handler = httpHandler(addItem, async ({ auth, body }) => {
  const { outcome, path } = await items.addItem(auth, body ?? {});
  return outcome === 'created'
    ? new Reply(201, { success: true, path, message: 'Item created', status: 'ready' })
    : new Reply(202, { success: true, path, message: 'Item accepted: it is being fetched or indexed in the background (see /api/workspace/items/status)', status: 'pending' });
});
