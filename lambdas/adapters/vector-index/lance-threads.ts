import { availableParallelism } from 'node:os';

/**
 * LanceDB's CPU pool and full-text writers, sized so that a full-text index write always finishes.
 *
 * LanceDB 0.31 (lance 8) runs CPU work on a pool of `LANCE_CPU_THREADS` threads (default: cores − 2,
 * at least 1) and writes a full-text index with `LANCE_FTS_NUM_SHARDS` writers (default: one per
 * pool thread). A writer builds posting-list batches on a pool thread and, when its bounded queue is
 * full, holds that thread until the file writer takes a batch; the file writer encodes its pages on
 * the same pool. Once a partition is large enough that a page must be encoded before the writer is
 * done, a pool whose every thread is held by a writer never moves again: on 2 cores (one thread) the
 * 100,000-chunk bulk load hung at ~40,000 chunks in the `optimize` that folded it into the full-text
 * index, and a full-text build over ~15,000 chunks hangs outright. At least two threads and fewer
 * writers than threads always leave a thread to encode.
 *
 * Both are read once, at LanceDB's first CPU task, so they must be in the environment before the
 * first query or write. A value of the user's is kept when it cannot hang, else raised/lowered.
 */
export function lanceThreadSettings(env: NodeJS.ProcessEnv, cores: number): { LANCE_CPU_THREADS: string; LANCE_FTS_NUM_SHARDS: string } {
  const threads = Math.max(2, Number(env.LANCE_CPU_THREADS) || cores - 2);
  const writers = Math.min(threads - 1, Number(env.LANCE_FTS_NUM_SHARDS) || threads - 1);
  return { LANCE_CPU_THREADS: String(threads), LANCE_FTS_NUM_SHARDS: String(Math.max(1, writers)) };
}

/** Puts the settings into this process's environment (where LanceDB's native code reads them). */
export function configureLanceThreads(): void {
  Object.assign(process.env, lanceThreadSettings(process.env, availableParallelism()));
}
