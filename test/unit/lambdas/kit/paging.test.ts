import { documentClient } from '../../../../lambdas/kit/aws';
import { itemsOf, pages, queryAll, queryPages, type Key, type RawPage } from '../../../../lambdas/kit/paging';

/** A table of `n` rows read `size` at a time, recording every start key asked for. */
function pagedTable(n: number, size: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ pk: 'p', sk: `k${String(i).padStart(3, '0')}` }));
  const asked: (Key | undefined)[] = [];
  const read = async (startKey: Key | undefined): Promise<RawPage> => {
    asked.push(startKey);
    const from = startKey ? rows.findIndex((r) => r.sk === startKey.sk) + 1 : 0;
    const items = rows.slice(from, from + size);
    const last = items.at(-1);
    return { Items: items, ...(from + size < n && last ? { LastEvaluatedKey: { pk: 'p', sk: last.sk } } : {}) };
  };
  return { rows, asked, read };
}

describe('paging', () => {
  it('follows LastEvaluatedKey to the end, each page once', async () => {
    const table = pagedTable(7, 3);
    const got = [];
    for await (const page of pages(table.read)) got.push(page);
    expect(got.map((p) => p.items.map((r) => r.sk))).toEqual([['k000', 'k001', 'k002'], ['k003', 'k004', 'k005'], ['k006']]);
    expect(got.map((p) => p.lastKey?.sk)).toEqual(['k002', 'k005', undefined]);
    expect(table.asked.map((k) => k?.sk)).toEqual([undefined, 'k002', 'k005']);
  });

  it('reads no page beyond the one the caller stops in', async () => {
    const table = pagedTable(100, 10);
    const seen: unknown[] = [];
    for await (const row of itemsOf(pages(table.read))) {
      seen.push(row);
      if (seen.length === 15) break;
    }
    expect(table.asked).toHaveLength(2);
  });

  it('starts where a cursor says, and keeps going through empty pages (a filter can empty one)', async () => {
    const answers: RawPage[] = [{ Items: [], LastEvaluatedKey: { sk: 'b' } }, { Items: [{ sk: 'c' }] }];
    const asked: (Key | undefined)[] = [];
    const rows = [];
    for await (const row of itemsOf(
      pages(
        async (k) => {
          asked.push(k);
          return answers.shift() as RawPage;
        },
        { sk: 'a' },
      ),
    ))
      rows.push(row);
    expect(rows).toEqual([{ sk: 'c' }]);
    expect(asked).toEqual([{ sk: 'a' }, { sk: 'b' }]);
  });

  it('queries build their input anew before each page and the generator sets the start key', async () => {
    const table = pagedTable(5, 2);
    const sent: Record<string, unknown>[] = [];
    const send = jest.spyOn(documentClient(), 'send').mockImplementation((async (command: { input: Record<string, unknown> }) => {
      sent.push(command.input);
      return table.read(command.input.ExclusiveStartKey as Key | undefined);
    }) as never);
    try {
      let limit = 4;
      const rows = [];
      for await (const page of queryPages(() => ({ TableName: 't', KeyConditionExpression: 'pk = :pk', Limit: limit }))) {
        rows.push(...page.items);
        limit -= page.items.length;
        if (limit <= 0) break;
      }
      expect(rows.map((r) => r.sk)).toEqual(['k000', 'k001', 'k002', 'k003']);
      expect(sent.map((i) => [i.Limit, (i.ExclusiveStartKey as Key | undefined)?.sk])).toEqual([
        [4, undefined],
        [2, 'k001'],
      ]);
      expect((await queryAll({ TableName: 't', KeyConditionExpression: 'pk = :pk' })).map((r) => r.sk)).toEqual(
        table.rows.map((r) => r.sk),
      );
    } finally {
      send.mockRestore();
    }
  });
});
