import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { logger } from '../../kit/observability';
import type { IndexedChunk } from '../vector-index/port';

/** Chunk texts to embed with the offline embedder (of `dimension`), with the ranking's features under `title` when `features`. */
export interface ChunkJob {
  dimension: number;
  title: string;
  texts: string[];
  features: boolean;
}
/** What indexing computes of one chunk text. */
export type ChunkVectors = Pick<IndexedChunk, 'vector' | 'features' | 'sentence'>;
/** What the worker says: it takes jobs (its modules and the word vectors loaded), or a job's chunks, or why it could not compute them. */
export type ThreadMessage = { ready: true } | { id: number; chunks: ChunkVectors[] } | { id: number; failed: string };

interface Waiting {
  job: ChunkJob;
  resolve(chunks: Promise<ChunkVectors[]>): void;
}
interface Running {
  worker: Worker;
  waiting: Map<number, Waiting>;
  /** Resolves true once the worker takes jobs, false when it ended before. */
  ready: Promise<boolean>;
  takesJobs: boolean;
  idle?: NodeJS.Timeout;
  /** Ended by us (idle, close), not failed. */
  retired?: boolean;
}

/** A worker idle this long ends (its ~65 MB are freed); the next job starts another. */
const IDLE_MS = 30_000;

/**
 * The offline embedder and the ranking's chunk features (the CPU work of indexing: ~40 % of the
 * local runtime's main thread during a load) computed on one worker thread, so that the main thread
 * serves requests, the AWS SDK and LanceDB meanwhile. The worker runs the same code: vectors and
 * features identical to the bit.
 *
 * No job waits for the worker to start (~0.3 s: its modules and the word vectors): until it takes
 * jobs, they are computed by `here` (in this thread). Whatever goes wrong there, no job is lost: a
 * job the worker could not compute is computed by `here`; when the worker fails (crash, or its
 * modules cannot load), the jobs it had are computed by `here`, and so is every later one (logged).
 */
export class LexicalThread {
  private running?: Running;
  private nextId = 0;
  private failed = false;

  /** `script`: the worker's module (lexical-thread-worker; TypeScript or compiled JavaScript). */
  constructor(
    private readonly here: (job: ChunkJob) => Promise<ChunkVectors[]>,
    private readonly script = join(__dirname, `lexical-thread-worker${extname(__filename)}`),
  ) {}

  vectors(job: ChunkJob): Promise<ChunkVectors[]> {
    if (this.failed) return this.here(job);
    const running = this.running ?? this.launch();
    if (!running.takesJobs) return this.here(job);
    clearTimeout(running.idle);
    running.worker.ref(); // a job waits on it: the process stays
    const id = this.nextId++;
    return new Promise<ChunkVectors[]>((resolve) => {
      running.waiting.set(id, { job, resolve });
      running.worker.postMessage({ id, ...job });
    });
  }

  /** Starts the worker unless one runs, and resolves once it takes jobs (true) or failed (false). */
  async start(): Promise<boolean> {
    return !this.failed && (this.running ?? this.launch()).ready;
  }

  /** Ends the worker; the jobs it had are computed in this thread, a later job starts another worker. */
  async close(): Promise<void> {
    if (this.running) await this.retire(this.running);
  }

  private launch(): Running {
    const { script } = this;
    // TypeScript (npm start runs tsx, jest its transform): the worker registers tsx's hook for require() first
    const worker = script.endsWith('.ts')
      ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();require(${JSON.stringify(script)});`, {
          eval: true,
        })
      : new Worker(script);
    let ready: (takesJobs: boolean) => void = () => undefined;
    const running: Running = { worker, waiting: new Map(), ready: new Promise((resolve) => (ready = resolve)), takesJobs: false };
    this.running = running;
    worker.unref(); // referenced while a job waits on it
    worker.on('message', (message: ThreadMessage) => {
      if ('ready' in message) {
        running.takesJobs = true;
        ready(true);
      } else {
        const waiting = running.waiting.get(message.id);
        running.waiting.delete(message.id);
        if ('failed' in message)
          logger.warn('the indexing worker thread could not compute a job: computed in the main thread', { reason: message.failed });
        if (waiting) waiting.resolve('chunks' in message ? Promise.resolve(message.chunks) : this.here(waiting.job));
      }
      if (running.waiting.size) return;
      worker.unref(); // idle: it keeps no process alive
      running.idle = setTimeout(() => void this.retire(running), IDLE_MS).unref();
    });
    worker.on('error', (error) => logger.warn('the indexing worker thread failed', { error }));
    worker.on('exit', (code) => {
      if (this.running === running) this.running = undefined;
      if (!running.retired) {
        this.failed = true;
        logger.warn('the indexing worker thread ended: chunks are embedded in the main thread from now on', { code });
      }
      ready(false);
      for (const waiting of running.waiting.values()) waiting.resolve(this.here(waiting.job));
      running.waiting.clear();
    });
    return running;
  }

  private async retire(running: Running): Promise<void> {
    running.retired = true;
    clearTimeout(running.idle);
    if (this.running === running) this.running = undefined;
    await running.worker.terminate();
  }
}
