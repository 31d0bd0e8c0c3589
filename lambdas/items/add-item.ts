import { httpHandler } from '../kit/http';
import { Reply } from '../kit/reply';
import { addItem } from '../contracts/items';
import * as items from './service/items';

export const handler = httpHandler(addItem, async ({ auth, body }) => {
  const { outcome, path } = await items.addItem(auth, body ?? {});
  return outcome === 'created'
    ? Reply.created({ success: true, path, message: 'Item created', status: 'ready' })
    : Reply.accepted({
        success: true,
        path,
        message: 'Item accepted: it is being fetched or indexed in the background (see /api/workspace/items/status)',
        status: 'pending',
      });
});
