import { App } from 'aws-cdk-lib';
import { readSettings } from '../../lib/settings';

const settings = (context: Record<string, string>) => readSettings(new App({ context }).node);

test('defaults: managed domain, 1024 dimensions, no launcher, kit TTLs', () => {
  expect(settings({})).toMatchObject({
    vectorBackend: 'domain',
    embeddingDimension: 1024,
    sandboxLauncher: false,
    scopeTtlSeconds: {},
    vectorStoreName: 'satchel-vectors',
    logRetentionDays: 30,
    apiRateLimit: 50,
    apiBurstLimit: 100,
    corsOrigins: ['*'],
    noncurrentVersionDays: 1,
    sourceMapStackTraces: false,
    sandboxImageTag: 'latest',
    quotas: {
      maxRunningSandboxesPerTenant: 10,
      maxPendingFetchesPerTenant: 20,
      maxMultipartUploadsPerCall: 10,
      fetchMinBytesPerSecond: 16384,
      ingestConcurrency: 16,
      ingestTenantConcurrency: 4,
    },
  });
  expect(settings({}).sandboxImageRepository).toBeUndefined();
});

test('quota context options are parsed and checked', () => {
  expect(
    settings({ maxRunningSandboxesPerTenant: '3', maxPendingFetchesPerTenant: '5', fetchMinBytesPerSecond: '0' }).quotas,
  ).toMatchObject({ maxRunningSandboxesPerTenant: 3, maxPendingFetchesPerTenant: 5, fetchMinBytesPerSecond: 0 });
  expect(() => settings({ maxRunningSandboxesPerTenant: '0' })).toThrow(/maxRunningSandboxesPerTenant must be at least 1/);
  expect(() => settings({ ingestConcurrency: 'many' })).toThrow(/ingestConcurrency must be a whole number/);
});

test('stage throttling, CORS origins and noncurrent-version days are parsed', () => {
  expect(
    settings({
      apiRateLimit: '5',
      apiBurstLimit: '10',
      corsOrigins: 'https://a.example.com, http://localhost:5173',
      noncurrentVersionDays: '30',
    }),
  ).toMatchObject({
    apiRateLimit: 5,
    apiBurstLimit: 10,
    corsOrigins: ['https://a.example.com', 'http://localhost:5173'],
    noncurrentVersionDays: 30,
  });
});

test('context options are parsed', () => {
  expect(
    settings({
      vectorBackend: 'serverless',
      embeddingDimension: '256',
      sandboxLauncher: 'true',
      ttlSessionSeconds: '0',
      ttlAgentSeconds: '90',
      sourceMapStackTraces: 'true',
    }),
  ).toMatchObject({
    vectorBackend: 'serverless',
    embeddingDimension: 256,
    sandboxLauncher: true,
    scopeTtlSeconds: { session: 0, agent: 90 },
    sourceMapStackTraces: true,
  });
});

test.each([
  [{ vectorBackend: 'elastic' }, /vectorBackend must be domain or serverless/],
  [{ embeddingDimension: '768' }, /embeddingDimension must be one of 256, 512, 1024/],
  [{ sandboxLauncher: 'yes' }, /sandboxLauncher must be true or false/],
  [{ ttlAgentSeconds: '-5' }, /ttlAgentSeconds must be a whole number/],
  [{ ttlTemporarySeconds: '1.5' }, /ttlTemporarySeconds must be a whole number/],
  [{ vectorStoreName: 'Satchel_Vectors' }, /vectorStoreName must be 3-27 lowercase/],
  [{ logRetentionDays: '31' }, /logRetentionDays must be a CloudWatch Logs retention/],
  [{ vectorStoreName: 'a-name-that-is-far-too-long-for-it' }, /vectorStoreName must be 3-27 lowercase/],
  [{ apiRateLimit: '0' }, /apiRateLimit and apiBurstLimit must be at least 1/],
  [{ apiBurstLimit: 'lots' }, /apiBurstLimit must be a whole number/],
  [{ corsOrigins: 'app.example.com' }, /corsOrigins must be \* or comma-separated origins/],
  [{ corsOrigins: 'https://example.com/path' }, /corsOrigins must be/],
  [{ noncurrentVersionDays: '0' }, /noncurrentVersionDays must be at least 1/],
  [{ sourceMapStackTraces: 'yes' }, /sourceMapStackTraces must be true or false/],
])('refuses %j', (context, message) => {
  expect(() => settings(context as Record<string, string>)).toThrow(message);
});
