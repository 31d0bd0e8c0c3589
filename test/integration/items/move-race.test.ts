import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type CallResult, type TestApi } from '../../support/api';
import { random } from '../../support/generated';
import { itemsClient, sleep } from '../../support/items';

/**
 * Issue 12: concurrent moves of one item answered 500 (S3 NoSuchKey) when a move read the entry before
 * another move committed and copied the bytes after that move had deleted them; a read in the same
 * window hit the same error. Starting every request at once rarely hits that window, so each round
 * starts many moves spread over the time one move takes, while readers read the item without pause
 * until every move has answered. The spread is seeded (SATCHEL_RACE_SEED replays a failure).
 */

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-move-race-'));

const SEED = Number(process.env.SATCHEL_RACE_SEED ?? 7);
const ROUNDS = 4;
const MOVES = 16;
const READERS = 4;
const SPREAD_MS = 100;

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

/** An answer of the items surface: 200, or 404 ITEM_NOT_FOUND in seed 003's error envelope. */
function expectAnswer(what: string, answer: CallResult): void {
  expect([what, answer.status]).toEqual([what, answer.status === 200 ? 200 : 404]);
  if (answer.status === 404)
    expect(answer.body).toEqual({ success: false, error: { code: 'ITEM_NOT_FOUND', message: expect.any(String) } });
}

it('many concurrent moves and reads of one item: 200 or 404 in the envelope, never 5xx; one move wins and the item is at exactly one place', async () => {
  const { key } = await api.key({ surfaces: ['items'] });
  const items = itemsClient(api.url, key);
  const rng = random(SEED);
  const later = <T>(run: () => Promise<T>) => sleep(Math.floor(rng() * SPREAD_MS)).then(run);

  for (let round = 0; round < ROUNDS; round++) {
    const from = `/race-${round}.md`;
    const content = `round ${round} of the move race`;
    expect((await items.add({ scope: 'company', itemPath: from, content })).status).toBe(201);
    const targets = Array.from({ length: MOVES }, (_, n) => `/moved-${round}-${n}.md`);
    let settled = false;
    const moves = Promise.all(targets.map((toPath) => later(() => items.move({ fromScope: 'company', fromPath: from, toPath })))).finally(
      () => (settled = true),
    );
    const reader = async () => {
      const answers: CallResult[] = [];
      while (!settled) answers.push(await items.get({ scope: 'company', itemPath: from }));
      return answers;
    };
    const [moved, read] = await Promise.all([moves, Promise.all(Array.from({ length: READERS }, reader)).then((all) => all.flat())]);

    moved.forEach((answer, n) => {
      expectAnswer(`round ${round} move ${n}`, answer);
    });
    read.forEach((answer, n) => {
      expectAnswer(`round ${round} read ${n}`, answer);
    });
    for (const answer of read.filter((a) => a.status === 200)) expect(answer.body.content).toBe(content);
    const winners = targets.filter((_, n) => moved[n].status === 200);
    expect(winners).toHaveLength(1);
    expect(moved[targets.indexOf(winners[0])].body).toMatchObject({ path: winners[0] });

    // exactly one place holds the item, with its bytes: the winner's
    const places = await Promise.all(
      [from, ...targets].map(async (itemPath) => [itemPath, await items.get({ scope: 'company', itemPath })] as const),
    );
    const reachable = places.filter(([, answer]) => answer.status === 200);
    expect(reachable.map(([itemPath]) => itemPath)).toEqual(winners);
    expect(reachable[0][1].body.content).toBe(content);
    for (const [itemPath, answer] of places) expectAnswer(`round ${round} ${itemPath} after the race`, answer);
  }
  const listed = (await items.list({ scope: 'company' })).body.items.map((i: { path: string }) => i.path);
  expect(listed).toHaveLength(ROUNDS);
  expect(listed.every((p: string) => p.startsWith('/moved-'))).toBe(true);
});
