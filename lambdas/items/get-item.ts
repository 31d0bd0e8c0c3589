import { httpHandler } from '../kit/http';
import { getItem } from '../contracts/items';
import * as items from './service/items';

export const handler = httpHandler(getItem, async ({ auth, query }) => items.getItem(auth, query));
