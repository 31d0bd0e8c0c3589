import { config } from '../kit/config';

/** The embedder port: Bedrock Titan Text Embeddings V2 in AWS; lexical or OpenAI-compatible locally. */
export interface Embedder {
  /** One unit-length vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Scales a vector to unit length (zero vectors stay zero: they match nothing). */
export function normalise(vector: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(vector);
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i] * out[i];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

export const isZero = (vector: Float32Array): boolean => vector.every((v) => v === 0);

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order of results. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

let instance: Promise<Embedder> | undefined;

/** The configured embedder, created once per process. */
export function embedder(): Promise<Embedder> {
  instance ??= (async (): Promise<Embedder> => {
    switch (config.embedder) {
      case 'bedrock':
        return (await import('./bedrock-embedder')).bedrockEmbedder();
      case 'openai-compatible':
        return (await import('./openai-embedder')).openAiCompatibleEmbedder();
      default:
        return new (await import('./lexical-embedder')).LexicalEmbedder(config.embeddingDimension);
    }
  })();
  return instance;
}
