import { QueryCommand, ScanCommand, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './aws';

/**
 * DynamoDB paging as async generators: one loop over LastEvaluatedKey for every query and scan.
 * The caller stops whenever it has enough (a `break` ends the generator; no page is read beyond).
 */

export type Key = Record<string, unknown>;
export type Row = Record<string, unknown>;

export interface Page<T = Row> {
  items: T[];
  /** Where the next page starts; undefined on the last page. */
  lastKey?: Key;
}

/** What one request for a page answers (a QueryCommand's or ScanCommand's output). */
export interface RawPage {
  Items?: Row[];
  LastEvaluatedKey?: Key;
}

/** Pages of any paged read: `read(startKey)` fetches the page that starts there. */
export async function* pages<T = Row>(read: (startKey: Key | undefined) => Promise<RawPage>, startKey?: Key): AsyncGenerator<Page<T>> {
  let next = startKey;
  do {
    const page = await read(next);
    next = page.LastEvaluatedKey;
    yield { items: (page.Items ?? []) as T[], lastKey: next };
  } while (next);
}

/**
 * Input of each request: fixed, or made anew before every page (e.g. a `Limit` that shrinks as the
 * caller's page fills). The start key is the generator's to set.
 */
type InputOf<I> = Omit<I, 'ExclusiveStartKey'> | (() => Omit<I, 'ExclusiveStartKey'>);
const inputOf = <I>(input: InputOf<I>): Omit<I, 'ExclusiveStartKey'> =>
  typeof input === 'function' ? (input as () => Omit<I, 'ExclusiveStartKey'>)() : input;

export function queryPages<T = Row>(input: InputOf<QueryCommandInput>, startKey?: Key): AsyncGenerator<Page<T>> {
  return pages<T>((ExclusiveStartKey) => documentClient().send(new QueryCommand({ ...inputOf(input), ExclusiveStartKey })), startKey);
}

export function scanPages<T = Row>(input: InputOf<ScanCommandInput>, startKey?: Key): AsyncGenerator<Page<T>> {
  return pages<T>((ExclusiveStartKey) => documentClient().send(new ScanCommand({ ...inputOf(input), ExclusiveStartKey })), startKey);
}

/** Every item of every page, one by one, as the caller's row type. */
export async function* itemsOf<T>(source: AsyncIterable<Page<T>>): AsyncGenerator<T> {
  for await (const page of source) yield* page.items;
}

/** Every item of a query: the table's whole answer, for reads that are bounded by design. */
export async function queryAll<T = Row>(input: InputOf<QueryCommandInput>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of queryPages<T>(input)) out.push(...page.items);
  return out;
}
