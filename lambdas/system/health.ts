import { httpHandler } from '../kit/http';
import { health } from './contracts';

export const handler = httpHandler(health, async () => ({ status: 'ok' as const }));
