import { parentPort } from 'node:worker_threads';
import { chunkFeatures, wordVectors } from '../word-vectors';
import { LexicalEmbedder } from './lexical';
import type { ChunkJob, ChunkVectors, ThreadMessage } from './lexical-thread';

/** The worker thread of LexicalThread: one job at a time, in the order they come. */
const port = parentPort;
if (!port) throw new Error('lexical-thread-worker runs as a worker thread (LexicalThread)');

const embedders = new Map<number, LexicalEmbedder>();

async function chunksOf({ dimension, title, texts, features }: ChunkJob): Promise<ChunkVectors[]> {
  const embedder = embedders.get(dimension) ?? new LexicalEmbedder(dimension);
  embedders.set(dimension, embedder);
  const vectors = await embedder.embed(texts);
  return vectors.map((vector, i) => ({ vector, ...(features ? chunkFeatures(texts[i], title) : {}) }));
}

port.on('message', async (job: ChunkJob & { id: number }) => {
  let answer: ThreadMessage;
  try {
    answer = { id: job.id, chunks: await chunksOf(job) };
  } catch (error) {
    answer = { id: job.id, failed: (error as Error).message };
  }
  // the vectors' buffers move to the main thread instead of being copied (each is a buffer of its own)
  const moved =
    'chunks' in answer ? answer.chunks.flatMap((chunk) => (chunk.sentence ? [chunk.vector, chunk.sentence] : [chunk.vector])) : [];
  port.postMessage(
    answer,
    moved.map((vector) => vector.buffer as ArrayBuffer),
  );
});

wordVectors(); // before the first job: no job waits for them
port.postMessage({ ready: true } satisfies ThreadMessage);
