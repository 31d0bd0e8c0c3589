import { httpHandler } from '../kit/http';
import { search } from './contracts';
import * as items from './service';

export const handler = httpHandler(search, async ({ auth, body }) => items.searchItems(auth, body));
