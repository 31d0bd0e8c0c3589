import { httpHandler } from '../kit/http';
import { listItems } from '../contracts/items';
import * as items from './service/items';

export const handler = httpHandler(listItems, async ({ auth, query }) => items.listItems(auth, query));
