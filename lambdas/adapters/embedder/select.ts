import { config } from '../../kit/config';
import type { Embedder } from './port';

let instance: Promise<Embedder> | undefined;

/** The configured embedder, created once per process. */
export function embedder(): Promise<Embedder> {
  instance ??= (async (): Promise<Embedder> => {
    switch (config.embedder) {
      case 'bedrock':
        return (await import('./bedrock')).bedrockEmbedder();
      case 'openai-compatible':
        return (await import('./openai')).openAiCompatibleEmbedder();
      default:
        return new (await import('./lexical')).LexicalEmbedder(config.embeddingDimension);
    }
  })();
  return instance;
}
