import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerKeys } from '../../client/cli/commands/keys';
import { KeyStore } from '../../lambdas/auth/service/keys';
import { documentClient } from '../../lambdas/kit/aws';
import { config } from '../../lambdas/kit/config';
import { LOCAL_AUTHORIZER_CACHE_MS } from '../../local/authorizer-cache';
import { apiKeysTableFromOutputs } from '../../local/key-target';
import { runtimeFile } from '../../local/runtime-records';
import { call, startTestApi, uniqueTenant, type TestApi } from '../support/api';

/** Runs `satchel <args>` in-process through commander; returns what it printed. */
async function satchel(...args: string[]): Promise<{ out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts) => void out.push(parts.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...parts) => void err.push(parts.join(' ')));
  try {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerKeys(program);
    await program.parseAsync(args, { from: 'user' });
    return { out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const secretOf = (out: string) => /\b(sk-[A-Za-z0-9_-]{43})\b/.exec(out)?.[1];
const keyIdOf = (out: string) => /key id:\s+(key_\w+)/.exec(out)?.[1];

let api: TestApi;
beforeAll(async () => (api = await startTestApi()));
afterAll(() => api.close());

describe('satchel keys (against the test DynamoDB via SATCHEL_DYNAMODB_ENDPOINT)', () => {
  it('creates a key, prints the secret once with its id, tenant, agent and surfaces; the key works', async () => {
    const tenant = uniqueTenant();
    const { out } = await satchel('keys', 'create', '--tenant', tenant, '--agent', 'coder', '--surfaces', 'registry,memory');
    const secret = secretOf(out);
    expect(secret).toBeDefined();
    expect(out).toMatch(new RegExp(`tenant:\\s+${tenant}`));
    expect(out).toMatch(/agent:\s+coder/);
    expect(out).toMatch(/surfaces:\s+registry, memory/);
    const res = await call(api.url, 'GET', '/api/workspaces', { key: secret });
    expect(res.status).toBe(200);
  });

  it('lists keys of a tenant without ever printing a secret', async () => {
    const tenant = uniqueTenant();
    const first = await satchel('keys', 'create', '--tenant', tenant);
    const second = await satchel('keys', 'create', '--tenant', tenant, '--surfaces', 'items');
    await satchel('keys', 'create', '--tenant', uniqueTenant());
    const { out } = await satchel('keys', 'list', '--tenant', tenant);
    expect(out).toContain(keyIdOf(first.out)!);
    expect(out).toContain(keyIdOf(second.out)!);
    expect(out.split('\n')).toHaveLength(3); // header + the tenant's two keys
    expect(out).not.toMatch(/sk-/);
    expect(out).not.toContain(secretOf(first.out)!);
  });

  it('revokes a key: the local API refuses it (403) once its authorizer cache time has passed, and the list shows when', async () => {
    const tenant = uniqueTenant();
    const created = await satchel('keys', 'create', '--tenant', tenant);
    const secret = secretOf(created.out)!;
    expect((await call(api.url, 'GET', '/api/workspaces', { key: secret })).status).toBe(200); // the allow is cached

    const { out } = await satchel('keys', 'revoke', keyIdOf(created.out)!);
    expect(out).toMatch(/Revoked key_\w+; it stops working within 2 seconds/);
    await new Promise((resolve) => setTimeout(resolve, LOCAL_AUTHORIZER_CACHE_MS + 100));
    const refused = await call(api.url, 'GET', '/api/workspaces', { key: secret });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ message: 'Forbidden' });
    const listed = await satchel('keys', 'list', '--tenant', tenant);
    expect(listed.out).toMatch(/\d{4}-\d\d-\d\dT[\d:.]+Z\s*$/m); // REVOKED column filled
  });

  it('never caches a refusal: a key registered right after it was refused works at once', async () => {
    const secret = `sk-${'r'.repeat(20)}${Date.now()}${'x'.repeat(10)}`;
    expect((await call(api.url, 'GET', '/api/workspaces', { key: secret })).status).toBe(403);
    await new KeyStore(documentClient(), config.tableName('apiKeys')).create({ tenant: uniqueTenant(), key: secret });
    expect((await call(api.url, 'GET', '/api/workspaces', { key: secret })).status).toBe(200);
  });

  it('says what to do next on bad input', async () => {
    await expect(satchel('keys', 'revoke', 'key_does_not_exist')).rejects.toThrow(/keys list/);
    await expect(satchel('keys', 'create', '--tenant', 'a', '--surfaces', 'registry,nope')).rejects.toThrow(
      /Unknown surface\(s\): nope\. Known: sync, memory, registry, items, files/,
    );
    await expect(satchel('keys', 'create', '--tenant', 'no/slashes')).rejects.toThrow(/Tenant "no\/slashes" must be/);
    await expect(satchel('keys', 'create')).rejects.toThrow(/--tenant/);
  });
});

describe('satchel keys (local runtime discovery)', () => {
  const saved = { endpoint: process.env.SATCHEL_DYNAMODB_ENDPOINT, home: process.env.SATCHEL_HOME };
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'satchel-cli-'));
    process.env.SATCHEL_HOME = home;
    delete process.env.SATCHEL_DYNAMODB_ENDPOINT;
  });
  afterEach(() => {
    process.env.SATCHEL_DYNAMODB_ENDPOINT = saved.endpoint;
    process.env.SATCHEL_HOME = saved.home;
    rmSync(home, { recursive: true, force: true });
  });

  it('uses the DynamoDB Local of a running `npm start` (runtime.json)', async () => {
    writeFileSync(runtimeFile(home), JSON.stringify({ url: api.url, dynamoEndpoint: saved.endpoint, s3Endpoint: '', pid: process.pid }));
    const { out, err } = await satchel('keys', 'create', '--tenant', uniqueTenant());
    expect(err).toBe('');
    expect((await call(api.url, 'GET', '/api/workspaces', { key: secretOf(out) })).status).toBe(200);
  });

  it('without a running runtime, starts DynamoDB Local on <SATCHEL_HOME>/dynamodb for the command; keys persist', async () => {
    // a runtime.json left by a process that is gone is ignored
    writeFileSync(
      runtimeFile(home),
      JSON.stringify({ url: 'http://127.0.0.1:1', dynamoEndpoint: 'http://127.0.0.1:1', s3Endpoint: '', pid: 2 ** 22 + 1 }),
    );
    const tenant = uniqueTenant();
    const created = await satchel('keys', 'create', '--tenant', tenant);
    expect(created.err).toMatch(/starting DynamoDB Local on .*dynamodb/);
    const listed = await satchel('keys', 'list');
    expect(listed.out).toContain(keyIdOf(created.out)!);
    expect(listed.out).toContain(tenant);
  }, 240_000); // two Java start-ups on a busy machine
});

describe('satchel keys --stack', () => {
  it('reads the apiKeys table name from the stack output starting with TableApiKeys', () => {
    const outputs = [
      { OutputKey: 'ApiUrl', OutputValue: 'https://x.execute-api' },
      { OutputKey: 'TableApiKeysName1A2B3C', OutputValue: 'Satchel-apiKeys-XYZ' },
    ];
    expect(apiKeysTableFromOutputs('SatchelData', outputs)).toBe('Satchel-apiKeys-XYZ');
    expect(() => apiKeysTableFromOutputs('SatchelApi', [{ OutputKey: 'ApiUrl', OutputValue: 'u' }])).toThrow(
      /no output TableApiKeys.*ApiUrl/,
    );
  });
});
