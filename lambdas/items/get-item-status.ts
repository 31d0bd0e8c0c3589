import { httpHandler } from '../kit/http';
import { itemStatus } from '../contracts/items';
import * as items from './service/items';

export const handler = httpHandler(itemStatus, async ({ auth, query }) => items.itemStatus(auth, query));
