import { httpHandler } from '../kit/http';
import { getItem } from './contracts';
import * as items from './service';

export const handler = httpHandler(getItem, async ({ auth, query }) => items.getItem(auth, query));
