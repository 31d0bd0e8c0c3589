import { httpHandler } from '../kit/http';
import { itemStatus } from './contracts';
import * as items from './service';

export const handler = httpHandler(itemStatus, async ({ auth, query }) => items.itemStatus(auth, query));
