import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';

export const db = () => documentClient();
export const tableName = (): string => config.tableName('syncRecords');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

