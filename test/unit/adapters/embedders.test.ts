import type { InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbedder } from '../../../lambdas/adapters/bedrock-embedder';
import { LexicalEmbedder } from '../../../lambdas/adapters/lexical-embedder';
import { embeddingsEndpoint, OpenAiCompatibleEmbedder } from '../../../lambdas/adapters/openai-embedder';
import { SEED_DOCUMENTS, SEED_QUERY, UNRELATED_QUERY } from '../../fixtures/seed-documents';
import { titleOf } from '../../../lambdas/items/content';

const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('Bedrock Titan Text Embeddings V2 adapter', () => {
  it('sends one InvokeModel per text with dimensions and normalize, and reads `embedding`', async () => {
    const sent: InvokeModelCommand[] = [];
    const embedding = Array.from({ length: 256 }, (_, i) => (i === 0 ? 3 : i === 1 ? 4 : 0));
    const embedder = new BedrockEmbedder(
      async (command) => {
        sent.push(command);
        return { body: new TextEncoder().encode(JSON.stringify({ embedding, inputTextTokenCount: 3 })) as never };
      },
      'amazon.titan-embed-text-v2:0',
      256,
    );
    const [a, b] = await embedder.embed(['hello world', 'second']);
    expect(sent.map((c) => c.input)).toEqual([
      { modelId: 'amazon.titan-embed-text-v2:0', contentType: 'application/json', accept: 'application/json', body: JSON.stringify({ inputText: 'hello world', dimensions: 256, normalize: true }) },
      { modelId: 'amazon.titan-embed-text-v2:0', contentType: 'application/json', accept: 'application/json', body: JSON.stringify({ inputText: 'second', dimensions: 256, normalize: true }) },
    ]);
    expect(a).toHaveLength(256);
    expect(a[0]).toBeCloseTo(0.6, 6);
    expect(a[1]).toBeCloseTo(0.8, 6);
    expect(b).toEqual(a);
  });

  it('refuses an answer of the wrong dimension and a dimension Titan does not offer', async () => {
    const embedder = new BedrockEmbedder(async () => ({ body: new TextEncoder().encode('{"embedding":[1,2]}') as never }), 'm', 512);
    await expect(embedder.embed(['x'])).rejects.toThrow(/512-dimensional/);
    expect(() => new BedrockEmbedder(async () => ({ body: undefined as never }), 'm', 300)).toThrow(/256, 512 or 1024/);
  });
});

describe('OpenAI-compatible embedder', () => {
  it('POSTs {model, input} to /v1/embeddings with the key, and reads data[].embedding in index order', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ data: [{ index: 1, embedding: [0, 2] }, { index: 0, embedding: [3, 4] }] }), { status: 200 });
    }) as unknown as typeof fetch;
    const embedder = new OpenAiCompatibleEmbedder('http://127.0.0.1:11434/v1/embeddings', 'nomic-embed-text', 'sk-test', fakeFetch);
    const [first, second] = await embedder.embed(['a', 'b']);
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:11434/v1/embeddings',
        init: { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body: JSON.stringify({ model: 'nomic-embed-text', input: ['a', 'b'] }) },
      },
    ]);
    expect(Array.from(first)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(Array.from(second)).toEqual([0, 1]);
  });

  it('derives the endpoint from a base URL', () => {
    expect(embeddingsEndpoint('http://localhost:11434')).toBe('http://localhost:11434/v1/embeddings');
    expect(embeddingsEndpoint('http://localhost:1234/v1/')).toBe('http://localhost:1234/v1/embeddings');
    expect(embeddingsEndpoint('https://api.example.com/v1/embeddings')).toBe('https://api.example.com/v1/embeddings');
  });

  it('reports a failing server', async () => {
    const fakeFetch = (async () => new Response('model not found', { status: 404 })) as unknown as typeof fetch;
    await expect(new OpenAiCompatibleEmbedder('http://x/v1/embeddings', 'm', undefined, fakeFetch).embed(['a'])).rejects.toThrow(/404: model not found/);
  });
});

describe('lexical embedder', () => {
  const embedder = new LexicalEmbedder(1024);
  const score = (a: Float32Array, b: Float32Array) => (1 + dot(a, b)) / 2;
  const docs = SEED_DOCUMENTS.map((d) => ({ path: d.path, vector: embedder.embedOne(`${titleOf(d.path)}\n${d.content}`) }));

  it('yields unit vectors of the configured dimension, deterministic', () => {
    const v = embedder.embedOne('Authentication of users');
    expect(v).toHaveLength(1024);
    expect(norm(v)).toBeCloseTo(1, 5);
    expect(embedder.embedOne('Authentication of users')).toEqual(v);
    expect(new LexicalEmbedder(256).embedOne('x y z')).toHaveLength(256);
  });

  it('ranks the authentication document first for the seed query with score >= 0.7, the rest below', () => {
    const q = embedder.embedOne(SEED_QUERY);
    const ranked = docs.map((d) => ({ path: d.path, score: score(q, d.vector) })).sort((a, b) => b.score - a.score);
    expect(ranked[0].path).toBe('/docs/authentication.md');
    expect(ranked[0].score).toBeGreaterThanOrEqual(0.7);
    expect(ranked[1].score).toBeLessThan(0.7);
  });

  it('scores a query about nothing stored below 0.7 everywhere', () => {
    const q = embedder.embedOne(UNRELATED_QUERY);
    for (const d of docs) expect(score(q, d.vector)).toBeLessThan(0.7);
  });

  it('gives a zero vector for text without content words', () => {
    expect(norm(embedder.embedOne('how do I ... ?'))).toBe(0);
  });
});
