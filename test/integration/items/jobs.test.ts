import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { embedder } from '../../../lambdas/adapters/embedder/select';
import { vectorIndex } from '../../../lambdas/adapters/vector-index/select';
import { s3Client } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { entryKey, readEntry } from '../../../lambdas/items/service/store';
import { onManifestsChange } from '../../../lambdas/items/process-manifest-changes';
import type { ScopeRef } from '../../../lambdas/items/service/scope';
import { startTestApi, type TestApi } from '../../support/api';
import { itemsClient, putPendingFetch } from '../../support/items';
import { SEED_DOCUMENTS, SEED_QUERY } from '../../fixtures/seed-documents';

process.env.SATCHEL_HOME = mkdtempSync(join(tmpdir(), 'satchel-items-jobs-'));

let api: TestApi;
let files: Server;
let fileUrl: string;
beforeAll(async () => {
  api = await startTestApi();
  files = createServer((_req, res) => res.end(SEED_DOCUMENTS[0].content));
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.3', resolve));
  fileUrl = `http://127.0.0.3:${(files.address() as { port: number }).port}/authentication.md`;
});
afterAll(async () => {
  await api.close();
  await new Promise((resolve) => files.close(resolve));
});

const record = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  keys: { pk: string; sk: string },
  oldImage?: Record<string, string>,
  byTtl = false,
) => ({
  eventName,
  ...(byTtl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  dynamodb: {
    Keys: { pk: { S: keys.pk }, sk: { S: keys.sk } },
    ...(oldImage ? { OldImage: Object.fromEntries(Object.entries(oldImage).map(([k, v]) => [k, { S: v }])) } : {}),
  },
});
const streamEvent = (...records: ReturnType<typeof record>[]) => ({ Records: records }) as unknown as DynamoDBStreamEvent;

describe('manifests stream consumer', () => {
  it('removes the bytes and index documents of an entry deleted by TTL, and nothing for a client delete', async () => {
    const { key, tenant } = await api.key({ surfaces: ['items'] });
    const items = itemsClient(api.url, key);
    const ref: ScopeRef = { tenant, scope: 'company', scopeId: '-' };
    await items.add({ scope: 'company', itemPath: '/docs/authentication.md', content: SEED_DOCUMENTS[0].content });
    const entry = await readEntry(ref, '/docs/authentication.md');
    const keys = entryKey(ref, '/docs/authentication.md');
    const image = { pk: keys.pk, sk: keys.sk, itemId: entry?.itemId as string, blobKey: entry?.blobKey as string };
    const [vector] = await (await embedder()).embed([SEED_QUERY]);
    const indexed = async () => (await vectorIndex()).search({ ...ref, text: SEED_QUERY, vector, candidates: 10, now: 0 });

    await onManifestsChange(streamEvent(record('REMOVE', keys, image)));
    expect(await indexed()).toHaveLength(1);

    await onManifestsChange(streamEvent(record('REMOVE', keys, image, true)));
    expect(await indexed()).toEqual([]);
    await expect(s3Client().send(new HeadObjectCommand({ Bucket: config.bucketName, Key: image.blobKey }))).rejects.toMatchObject({
      name: 'NotFound',
    });
  });

  it('ingests a pending fileUrl entry when its INSERT arrives (the AWS background path)', async () => {
    process.env.SATCHEL_FETCH_ALLOWED_HOSTS = '127.0.0.3';
    try {
      const { key, tenant } = await api.key({ surfaces: ['items'] });
      const ref: ScopeRef = { tenant, scope: 'agent', scopeId: 'a-1' };
      const itemId = 'f0000000-0000-4000-8000-000000000000';
      const keys = await putPendingFetch(ref, '/web/authentication.md', itemId, fileUrl);
      await onManifestsChange(streamEvent(record('INSERT', keys), record('INSERT', { pk: 'T#x#SYNC#y', sk: '/other-surface' })));
      const items = itemsClient(api.url, key);
      expect((await items.status({ scope: 'agent', scopeId: 'a-1', itemPath: '/web/authentication.md' })).body).toMatchObject({
        status: 'ready',
        indexedChunks: 1,
      });
      expect((await items.get({ scope: 'agent', scopeId: 'a-1', itemPath: '/web/authentication.md' })).body.content).toBe(
        SEED_DOCUMENTS[0].content,
      );
      expect((await items.search({ query: SEED_QUERY, scope: 'agent', scopeId: 'a-1' })).body.results[0].path).toBe(
        '/web/authentication.md',
      );
      // a repeated delivery finds it ready and does nothing
      await onManifestsChange(streamEvent(record('MODIFY', keys)));
      expect((await readEntry(ref, '/web/authentication.md'))?.status).toBe('ready');
    } finally {
      delete process.env.SATCHEL_FETCH_ALLOWED_HOSTS;
    }
  });
});
