import type { InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbedder } from '../../../../../lambdas/adapters/embedder/bedrock';
import type { AppError } from '../../../../../lambdas/kit/errors';
import { DEFAULT_LEXICAL_OPTIONS, LexicalEmbedder, type LexicalOptions } from '../../../../../lambdas/adapters/embedder/lexical';
import { embeddingsEndpoint, OpenAiCompatibleEmbedder } from '../../../../../lambdas/adapters/embedder/openai';
import { contentWords, stem } from '../../../../../lambdas/adapters/text-terms';
import { synonymsOf } from '../../../../../lambdas/adapters/wordnet';
import { variedTexts } from '../../../../support/varied-text';

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
      {
        modelId: 'amazon.titan-embed-text-v2:0',
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText: 'hello world', dimensions: 256, normalize: true }),
      },
      {
        modelId: 'amazon.titan-embed-text-v2:0',
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText: 'second', dimensions: 256, normalize: true }),
      },
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

describe('Bedrock errors', () => {
  const failing = (name: string, message = 'x') =>
    new BedrockEmbedder(async () => Promise.reject(Object.assign(new Error(message), { name })), 'amazon.titan-embed-text-v2:0', 256);

  it('maps throttling to 429 and a passing outage to 503, both with Retry-After', async () => {
    await expect(failing('ThrottlingException').embed(['q'])).rejects.toMatchObject({
      status: 429,
      code: 'THROTTLED',
      headers: { 'Retry-After': '5' },
    });
    await expect(failing('ServiceUnavailableException').embed(['q'])).rejects.toMatchObject({
      status: 503,
      headers: { 'Retry-After': '5' },
    });
  });

  it('maps access denied and a missing model to 503 with what an operator must do', async () => {
    const denied = (await failing('AccessDeniedException')
      .embed(['q'])
      .catch((e: AppError) => e)) as AppError;
    expect(denied).toMatchObject({ status: 503, headers: undefined });
    expect(denied.message).toMatch(/enable access to the model in the Bedrock console/);
    await expect(failing('ValidationException', 'The provided model identifier is invalid.').embed(['q'])).rejects.toMatchObject({
      status: 503,
      message: expect.stringMatching(/not offered in this region/),
    });
    // anything else stays an internal error
    await expect(failing('SomethingElse').embed(['q'])).rejects.toMatchObject({ name: 'SomethingElse' });
  });
});

describe('OpenAI-compatible embedder', () => {
  it('POSTs {model, input} to /v1/embeddings with the key, and reads data[].embedding in index order', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(
        JSON.stringify({
          data: [
            { index: 1, embedding: [0, 2] },
            { index: 0, embedding: [3, 4] },
          ],
        }),
        { status: 200 },
      );
    }) as unknown as typeof fetch;
    const embedder = new OpenAiCompatibleEmbedder('http://127.0.0.1:11434/v1/embeddings', 'nomic-embed-text', 'sk-test', fakeFetch);
    const [first, second] = await embedder.embed(['a', 'b']);
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:11434/v1/embeddings',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
          body: JSON.stringify({ model: 'nomic-embed-text', input: ['a', 'b'] }),
        },
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
    await expect(new OpenAiCompatibleEmbedder('http://x/v1/embeddings', 'm', undefined, fakeFetch).embed(['a'])).rejects.toThrow(
      /404: model not found/,
    );
  });
});

describe('lexical embedder', () => {
  const embedder = new LexicalEmbedder(1024);
  const one = async (text: string, options?: LexicalOptions) => (await new LexicalEmbedder(1024, options).embed([text]))[0];

  it('yields unit vectors of the configured dimension, deterministic', async () => {
    const [v] = await embedder.embed(['Authentication of users']);
    expect(v).toHaveLength(1024);
    expect(norm(v)).toBeCloseTo(1, 5);
    expect((await embedder.embed(['Authentication of users']))[0]).toEqual(v);
    expect((await new LexicalEmbedder(256).embed(['x y z']))[0]).toHaveLength(256);
  });

  it('matches word forms through stemming, and only with it', async () => {
    const plain = { stemming: false, trigrams: false, synonyms: false, wordVectors: false };
    expect(dot(await one('authenticating users', plain), await one('authenticate user', plain))).toBe(0);
    expect(
      dot(await one('authenticating users', { ...plain, stemming: true }), await one('authenticate user', { ...plain, stemming: true })),
    ).toBeCloseTo(1, 5);
  });

  it('adds WordNet synonyms to queries (not to documents): a vacation query meets a holiday note', async () => {
    const [holiday] = await embedder.embed(['Book your holiday in the calendar']);
    const withSynonyms = await embedder.embedQuery('vacation');
    const without = await new LexicalEmbedder(1024, { ...DEFAULT_LEXICAL_OPTIONS, synonyms: false }).embedQuery('vacation');
    expect(dot(withSynonyms, holiday)).toBeGreaterThan(dot(without, holiday) + 0.1);
    // documents are embedded as written
    expect((await embedder.embed(['vacation']))[0]).toEqual(without);
  });

  it('gives a zero vector for text without content words', async () => {
    expect(norm((await embedder.embed(['how do I ... ?']))[0])).toBe(0);
    expect(norm(await embedder.embedQuery('how do I ... ?'))).toBe(0);
  });

  it('gives the vectors of the plain definition to the bit, on varied text, with and without each step, queries with their synonyms', async () => {
    const texts = variedTexts();
    const queries = ['vacation', 'rotate the database password', 'ΣΊΣΥΦΟΣ café 😀', 'how do I ... ?', texts[3]];
    const bits = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
    for (const options of [
      DEFAULT_LEXICAL_OPTIONS,
      { ...DEFAULT_LEXICAL_OPTIONS, stemming: false },
      { ...DEFAULT_LEXICAL_OPTIONS, trigrams: false, synonyms: false },
    ]) {
      const lexical = new LexicalEmbedder(1024, options);
      // twice: the second pass reads what the first remembered of each word
      for (let pass = 0; pass < 2; pass++) {
        expect((await lexical.embed(texts)).map(bits)).toEqual(texts.map((text) => bits(plainLexical(text, options))));
        for (const query of queries) expect(bits(await lexical.embedQuery(query))).toBe(bits(plainLexical(query, options, true)));
      }
    }
  });
});

/** The lexical embedder as first written: a map of feature strings per text ("w:<stem>", "g:<trigram>"), FNV-1a of each. */
function plainLexical(text: string, options: LexicalOptions, query = false): Float32Array {
  const counts = new Map<string, number>();
  const add = (key: string, weight: number) => counts.set(key, (counts.get(key) ?? 0) + weight);
  const addWord = (token: string, weight: number) => {
    const word = options.stemming ? stem(token) : token;
    add(`w:${word}`, weight);
    if (!options.trigrams) return;
    const padded = `<${word}>`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`g:${padded.slice(i, i + 3)}`, weight * 0.25);
  };
  for (const line of text.split('\n')) {
    const weight = /^\s{0,3}#/.test(line) ? 3 : 1;
    for (const token of contentWords(line)) addWord(token, weight);
  }
  if (query && options.synonyms) {
    const own = new Set(contentWords(text));
    for (const word of own)
      for (const synonym of synonymsOf(word))
        if (!own.has(synonym)) addWord(synonym, 0.5 / Math.max(1, Math.sqrt(synonymsOf(word).length)));
  }
  const vector = new Float32Array(1024);
  for (const [feature, count] of counts) {
    let h = 0x811c9dc5;
    for (let i = 0; i < feature.length; i++) h = Math.imul(h ^ feature.charCodeAt(i), 0x01000193);
    h >>>= 0;
    const weight = count >= 1 ? 1 + Math.log(count) : count;
    vector[h % 1024] += h & 0x80000000 ? -weight : weight;
  }
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  if (sum > 0) for (let i = 0, inv = 1 / Math.sqrt(sum); i < vector.length; i++) vector[i] *= inv;
  return vector;
}
