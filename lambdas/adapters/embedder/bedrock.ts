import { BedrockRuntimeClient, InvokeModelCommand, type InvokeModelCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { config } from '../../kit/config';
import { mapLimit } from '../../shared/map-limit';
import { bedrockError } from '../dependency-errors';
import { normalise, type Embedder } from './port';

/** Titan Text Embeddings V2 takes one text per call and at most 50,000 characters. */
const MAX_INPUT_CHARS = 50_000;
const PARALLEL_CALLS = 8;

export type InvokeModel = (command: InvokeModelCommand) => Promise<Pick<InvokeModelCommandOutput, 'body'>>;

/** Amazon Bedrock Titan Text Embeddings V2: `{inputText, dimensions, normalize: true}` → `{embedding}`. */
export class BedrockEmbedder implements Embedder {
  constructor(
    private readonly send: InvokeModel,
    private readonly modelId: string,
    private readonly dimension: number,
  ) {
    if (![256, 512, 1024].includes(dimension))
      throw new Error(`EMBEDDING_DIMENSION must be 256, 512 or 1024 for Titan V2, not ${dimension}`);
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return mapLimit(texts, PARALLEL_CALLS, (text) => this.embedOne(text));
  }

  private async embedOne(text: string): Promise<Float32Array> {
    const response = await this.send(
      new InvokeModelCommand({
        modelId: this.modelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText: text.slice(0, MAX_INPUT_CHARS), dimensions: this.dimension, normalize: true }),
      }),
    ).catch((error: unknown) => Promise.reject(bedrockError(error, this.modelId)));
    const parsed = JSON.parse(new TextDecoder().decode(response.body)) as { embedding?: number[] };
    if (!Array.isArray(parsed.embedding) || parsed.embedding.length !== this.dimension) {
      throw new Error(`Bedrock ${this.modelId} answered without a ${this.dimension}-dimensional embedding`);
    }
    // Titan already normalises; normalising again is exact to float precision and guards the contract
    return normalise(parsed.embedding);
  }
}

export function bedrockEmbedder(): BedrockEmbedder {
  const client = new BedrockRuntimeClient({ region: config.region });
  return new BedrockEmbedder((command) => client.send(command), config.bedrockModelId, config.embeddingDimension);
}
