import { config } from '../../kit/config';
import { normalise, type Embedder } from './port';

const BATCH = 64;

/** Any OpenAI-compatible `POST /v1/embeddings` server (OpenAI, Ollama, LM Studio, vLLM, llama.cpp, …). */
export class OpenAiCompatibleEmbedder implements Embedder {
  constructor(
    private readonly endpoint: string,
    private readonly model: string,
    private readonly apiKey: string | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) out.push(...(await this.embedBatch(texts.slice(i, i + BATCH))));
    return out;
  }

  private async embedBatch(input: string[]): Promise<Float32Array[]> {
    const res = await this.fetchImpl(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.model, input }),
    });
    if (!res.ok) throw new Error(`Embeddings server ${this.endpoint} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as { data?: { embedding: number[]; index?: number }[] };
    const data = body.data ?? [];
    if (data.length !== input.length) throw new Error(`Embeddings server returned ${data.length} vectors for ${input.length} texts`);
    return [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => normalise(d.embedding));
  }
}

/** SATCHEL_EMBEDDINGS_URL is the server's base URL (…/v1/embeddings is appended unless given). */
export function embeddingsEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  if (/\/embeddings$/.test(trimmed)) return trimmed;
  return /\/v1$/.test(trimmed) ? `${trimmed}/embeddings` : `${trimmed}/v1/embeddings`;
}

export function openAiCompatibleEmbedder(): OpenAiCompatibleEmbedder {
  const url = config.openAiEmbeddingsUrl;
  const model = config.openAiEmbeddingsModel;
  if (!url || !model) throw new Error('SATCHEL_EMBEDDER=openai-compatible needs SATCHEL_EMBEDDINGS_URL and SATCHEL_EMBEDDINGS_MODEL');
  return new OpenAiCompatibleEmbedder(embeddingsEndpoint(url), model, config.openAiEmbeddingsKey);
}
