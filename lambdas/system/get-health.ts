import { httpHandler } from '../kit/http';
import { health } from '../contracts/system';

export const handler = httpHandler(health, async () => ({ status: 'ok' as const }));
