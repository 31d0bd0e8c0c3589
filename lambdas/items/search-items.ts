import { httpHandler } from '../kit/http';
import { search } from '../contracts/items';
import * as items from './service/items';

export const handler = httpHandler(search, async ({ auth, body }) => items.searchItems(auth, body));
