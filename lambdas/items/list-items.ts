import { httpHandler } from '../kit/http';
import { listItems } from './contracts';
import * as items from './service';

export const handler = httpHandler(listItems, async ({ auth, query }) => items.listItems(auth, query));
