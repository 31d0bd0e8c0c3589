/**
 * What a handler returns when the contract's default (its success status, the surface's envelope)
 * is not what it should answer. Named constructors say which case a call site is in; a plain
 * value returned from a handler is still the common case and needs none of this.
 */

export type ReplyKind =
  /** `body` goes inside the surface's envelope, `topLevel` fields beside it. */
  | 'envelope'
  /** `body` is sent as this JSON value, outside the envelope. */
  | 'json'
  /** `body` is sent as it is (a string: HTML, an asset, an answer proxied whole). */
  | 'raw';

export interface ReplyOptions {
  headers?: Record<string, string>;
  /** Fields sent beside the envelope, at the top level (clients of an older wire shape read them there). */
  topLevel?: Record<string, unknown>;
}

export class Reply {
  private constructor(
    readonly kind: ReplyKind,
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string>,
    readonly topLevel: Record<string, unknown>,
  ) {}

  /** 200 in the surface's envelope, with headers or top-level fields beside it. */
  static ok(body: unknown, options: ReplyOptions = {}): Reply {
    return Reply.status(200, body, options);
  }

  /** 201 Created, in the surface's envelope. */
  static created(body: unknown, options: ReplyOptions = {}): Reply {
    return Reply.status(201, body, options);
  }

  /** 202 Accepted (work goes on in the background), in the surface's envelope. */
  static accepted(body: unknown, options: ReplyOptions = {}): Reply {
    return Reply.status(202, body, options);
  }

  /** Any other success status, in the surface's envelope; no body for 204. */
  static status(status: number, body: unknown, { headers = {}, topLevel = {} }: ReplyOptions = {}): Reply {
    return new Reply('envelope', status, body, headers, topLevel);
  }

  /**
   * This JSON value exactly, outside the envelope: for wire shapes a seed defines apart from its
   * envelope (seed 004's 207 partial failure, JSON-RPC's refusals).
   */
  static json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
    return new Reply('json', status, value, headers, {});
  }

  /** This text as it is, with the headers that say what it is (content type at least). */
  static raw(status: number, body: string, headers: Record<string, string>): Reply {
    return new Reply('raw', status, body, headers, {});
  }
}
