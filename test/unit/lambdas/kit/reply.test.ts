import { Reply } from '../../../../lambdas/kit/reply';

describe('Reply', () => {
  it('named constructors say the status and whether the envelope applies', () => {
    expect(Reply.created({ path: '/a' })).toMatchObject({ kind: 'envelope', status: 201, body: { path: '/a' }, headers: {}, topLevel: {} });
    expect(Reply.accepted({ path: '/a' })).toMatchObject({ kind: 'envelope', status: 202 });
    expect(Reply.ok([1], { topLevel: { message: 'done' }, headers: { 'x-a': '1' } })).toMatchObject({
      kind: 'envelope',
      status: 200,
      body: [1],
      topLevel: { message: 'done' },
      headers: { 'x-a': '1' },
    });
    expect(Reply.status(207, { partial: true })).toMatchObject({ kind: 'envelope', status: 207 });
    expect(Reply.json(405, { jsonrpc: '2.0' }, { allow: 'POST' })).toMatchObject({
      kind: 'json',
      status: 405,
      body: { jsonrpc: '2.0' },
      headers: { allow: 'POST' },
    });
    expect(Reply.raw(200, '<html>', { 'content-type': 'text/html' })).toMatchObject({ kind: 'raw', status: 200, body: '<html>' });
  });
});
