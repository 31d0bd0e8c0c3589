import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';

export const db = () => documentClient();
export const tableName = (): string => config.tableName('syncRecords');

export { sleep } from '../../shared/time';

