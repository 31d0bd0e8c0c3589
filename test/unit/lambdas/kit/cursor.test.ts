import { decodeCursor, decodeJsonCursor, encodeCursor, encodeJsonCursor } from '../../../../lambdas/kit/cursor';
import { AppError } from '../../../../lambdas/kit/errors';

const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a refusal');
};

describe('cursor codec', () => {
  it('round-trips any text, non-ASCII included, as URL-safe characters', () => {
    for (const text of ['F#notes/todo.md', '/docs/caf\u00e9 \u{1f600}.md', '', 'a+b/c=d']) {
      const cursor = encodeCursor(text);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(decodeCursor(cursor)).toBe(text);
    }
  });

  it('refuses with 400 what it did not produce: foreign characters, padding, bytes that are not UTF-8', () => {
    const good = encodeCursor('F#notes/todo.md');
    for (const bad of [`${good}!`, `${good}==`, `${good.slice(0, -1)}+`, Buffer.from([0xff, 0xfe]).toString('base64url'), '*']) {
      const error = refusal(() => decodeCursor(bad));
      expect(error).toBeInstanceOf(AppError);
      expect(error.status).toBe(400);
      expect(error.message).toBe('cursor is not one this endpoint returned');
    }
  });

  it('applies the endpoint’s own check and its own error', () => {
    const cursor = encodeCursor('/other/prefix');
    expect(refusal(() => decodeCursor(cursor, (sk) => sk.startsWith('/docs/'))).status).toBe(400);
    const mine = new AppError(400, 'INVALID_CURSOR', 'mine');
    expect(
      refusal(() =>
        decodeCursor(
          '*',
          () => true,
          () => mine,
        ),
      ),
    ).toBe(mine);
  });

  it('JSON cursors: the parser decides what is one of ours', () => {
    const parse = (v: unknown) =>
      typeof v === 'object' && v !== null && typeof (v as { s?: unknown }).s === 'number' ? (v as { s: number }) : undefined;
    expect(decodeJsonCursor(encodeJsonCursor({ s: 42 }), parse)).toEqual({ s: 42 });
    expect(refusal(() => decodeJsonCursor(encodeJsonCursor({ s: '42' }), parse)).status).toBe(400);
    expect(refusal(() => decodeJsonCursor(encodeCursor('{not json'), parse)).status).toBe(400);
  });
});
