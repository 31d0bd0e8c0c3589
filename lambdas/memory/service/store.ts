import type { MemoryTable } from '../../contracts/memory';
import { documentClient } from '../../kit/aws';
import { config } from '../../kit/config';

export const db = () => documentClient();
export const tableName = (): string => config.tableName('syncRecords');

/**
 * Key layout of the syncRecords table. One partition per agent:
 *   pk = T#<tenant>#A#<agent>
 *   sk = R#<table>#<record_id>   current state of a record (LWW winner, tombstone flag, data)
 *        C#<seq, 15 digits>      change log: one item per accepted write, or a void marker for a
 *                                sequence number that will never carry a change
 *        SEQ                     change sequence counter (atomic ADD)
 *        FRONTIER                highest sequence known to have every predecessor settled (a hint)
 *        HORIZON                 the change log is compacted up to this sequence: a number at or below it
 *                                without a change item is not a gap (its change was superseded or is old)
 *        META                    agent-wide last push / last pull
 *        D#<device>              a named device's pull cursor and times
 *        M#<minute>              frontier observed at that server minute (maps Kernle `since` onto sequences)
 */
export const partitionKey = (tenant: string, agent: string): string => `T#${tenant}#A#${agent}`;
export const recordKey = (table: MemoryTable, recordId: string): string => `R#${table}#${recordId}`;
export const RECORD_PREFIX = 'R#';
export const CHANGE_PREFIX = 'C#';
const SEQ_DIGITS = 15;
export const changeKey = (seq: number): string => `${CHANGE_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}`;
/** Sorts after every change key. */
export const CHANGE_END = `${CHANGE_PREFIX}~`;
export const COUNTER_KEY = 'SEQ';
export const FRONTIER_KEY = 'FRONTIER';
export const HORIZON_KEY = 'HORIZON';
export const META_KEY = 'META';
export const deviceKey = (device: string): string => `D#${device}`;
export const MARK_PREFIX = 'M#';
export const markKey = (serverTime: Date): string => `${MARK_PREFIX}${serverTime.toISOString().slice(0, 16)}`;
