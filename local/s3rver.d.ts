declare module '@20minutes/s3rver' {
  interface S3rverOptions {
    address?: string;
    port?: number;
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    configureBuckets?: { name: string; configs: (string | Buffer)[] }[];
  }
  /** The Koa context fields the private-bucket check reads and writes. */
  interface S3rverContext {
    method: string;
    headers: Record<string, string | string[] | undefined>;
    query: Record<string, unknown>;
    status: number;
    type: string;
    body: unknown;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Koa's middleware list; composed when the server starts listening. */
    middleware: ((ctx: S3rverContext, next: () => Promise<void>) => Promise<void> | void)[];
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}

declare module '@20minutes/s3rver/lib/middleware/authentication' {
  /** s3rver's signature check: throws S3's error (rendered by the server) unless the request is signed right. */
  export default function authentication(): (ctx: unknown, next: () => Promise<void>) => Promise<void>;
}
