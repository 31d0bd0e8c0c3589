/** The embedder port: Bedrock Titan Text Embeddings V2 in AWS; lexical or OpenAI-compatible locally. */
export interface Embedder {
  /** One unit-length vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** The vector of a search query, where the embedder treats queries apart (e.g. expands them); else embed([query]). */
  embedQuery?(query: string): Promise<Float32Array>;
}

export const queryVector = async (embedder: Embedder, query: string): Promise<Float32Array> =>
  embedder.embedQuery ? embedder.embedQuery(query) : (await embedder.embed([query]))[0];

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
