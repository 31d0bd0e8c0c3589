import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createSatchelClient } from '../../../client/sdk';
import { documentClient } from '../../../lambdas/kit/aws';
import { config } from '../../../lambdas/kit/config';
import { sweepSandboxes } from '../../../lambdas/files/service/deployments';
import { call } from '../../support/api';
import { testApiOnOwnTable } from '../../support/own-table';

// a test below sweeps with the clock moved past the retention: on the shared table that would
// terminate the sandboxes of every other test file running at the same time
const api = testApiOnOwnTable('deployments');

const FILES = ['files'] as const;

async function newTenant(agent?: string) {
  const { key, tenant } = await api.key({ surfaces: [...FILES], agent });
  return { key, tenant, call: (method: string, path: string, body?: unknown) => call(api.url, method, path, { key, body }) };
}

async function newDeployment(client: Awaited<ReturnType<typeof newTenant>>, name = 'job') {
  const res = await client.call('POST', '/api/deployments', { name });
  expect(res.status).toBe(201);
  return res.body.data.deployment as { id: string; status: string; sandbox: { desktopPath: string; state: string; expiresAt: string } };
}

/** presign -> PUT -> record, as a client does it. */
async function upload(
  client: Awaited<ReturnType<typeof newTenant>>,
  deploymentId: string,
  fileName: string,
  bytes: Buffer,
  mimeType = 'text/csv',
) {
  const presign = await client.call('POST', '/api/files/presign', { deploymentId, fileName, fileSize: bytes.length, mimeType });
  expect(presign.status).toBe(200);
  const put = await fetch(presign.body.data.uploadUrl, { method: 'PUT', headers: { 'content-type': mimeType }, body: bytes });
  expect(put.status).toBe(200);
  const record = await client.call('POST', '/api/files/record', {
    deploymentId,
    fileName,
    fileSize: bytes.length,
    mimeType,
    storagePath: presign.body.data.storagePath,
  });
  expect(record.status).toBe(200);
  return record.body.data.file as { id: string; _id: string; storagePath: string; fileSize: number };
}

async function download(client: Awaited<ReturnType<typeof newTenant>>, fileId: string): Promise<Buffer> {
  const res = await client.call('GET', `/api/files/download?fileId=${fileId}`);
  expect(res.status).toBe(200);
  const got = await fetch(res.body.data.downloadUrl);
  expect(got.status).toBe(200);
  return Buffer.from(await got.arrayBuffer());
}

describe('deployment files: the whole round trip', () => {
  it('create -> presign -> PUT -> record -> list -> download -> sync -> change in Desktop -> pull -> download', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    expect(dep).toMatchObject({ status: 'running', sandbox: { state: 'running' } });
    expect(dep.id).toMatch(/^dep_[a-z0-9]{20}$/);
    const desktop = dep.sandbox.desktopPath;
    expect(desktop).toBe(join(config.sandboxRoot, client.tenant, dep.id, 'Desktop'));
    expect(existsSync(desktop)).toBe(true);

    const original = Buffer.from('id,value\n1,alpha\n2,beta\n');
    const file = await upload(client, dep.id, 'inputs/data.csv', original);
    expect(file).toMatchObject({ status: 'ready', fileSize: original.length, storagePath: `deployments/${dep.id}/inputs/data.csv` });
    expect(file.id).toBe(file._id);

    const list = await client.call('GET', `/api/files?deploymentId=${dep.id}`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      success: true,
      data: { files: [expect.objectContaining({ _id: file.id, fileName: 'inputs/data.csv', mimeType: 'text/csv', deploymentId: dep.id })] },
    });

    expect((await download(client, file.id)).equals(original)).toBe(true);

    const sync = await client.call('POST', `/api/deployments/${dep.id}/files/sync`, {
      files: [file.storagePath, `deployments/${dep.id}/missing.csv`],
    });
    // a partial copy is not a success: 207 with success false, per-file results in data
    expect(sync.status).toBe(207);
    expect(sync.body.success).toBe(false);
    expect(sync.body.error).toEqual({ code: 'PARTIAL_FAILURE', message: expect.stringMatching(/1 of 2 files synced/) });
    expect(sync.body.message).toMatch(/1 of 2 files synced/);
    expect(sync.body.data.syncedFiles).toEqual([{ storagePath: file.storagePath, fileName: 'inputs/data.csv', fileSize: original.length }]);
    expect(sync.body.data.failedFiles).toEqual([
      expect.objectContaining({ file: `deployments/${dep.id}/missing.csv`, code: 'RESOURCE_NOT_FOUND' }),
    ]);
    expect(readFileSync(join(desktop, 'inputs/data.csv')).equals(original)).toBe(true);
    // no temporary file left behind
    expect(readdirSync(join(desktop, 'inputs'))).toEqual(['data.csv']);

    const changed = Buffer.from('id,value\n1,alpha\n2,beta\n3,gamma (added in the sandbox)\n');
    writeFileSync(join(desktop, 'inputs/data.csv'), changed);
    writeFileSync(join(desktop, 'result.json'), '{"ok":true}');
    const pull = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: ['inputs/data.csv', 'result.json'] });
    expect(pull.status).toBe(200);
    expect(pull.body.success).toBe(true);
    expect(pull.body.data.failedFiles).toEqual([]);
    expect(pull.body.data.pulledFiles).toEqual(
      expect.arrayContaining([
        { fileName: 'inputs/data.csv', storagePath: file.storagePath, fileSize: changed.length, fileId: file.id },
        expect.objectContaining({ fileName: 'result.json', storagePath: `deployments/${dep.id}/result.json`, fileSize: 11 }),
      ]),
    );
    expect((await download(client, file.id)).equals(changed)).toBe(true);

    const after = await client.call('GET', `/api/files?deploymentId=${dep.id}`);
    const byName = Object.fromEntries(after.body.data.files.map((f: { fileName: string }) => [f.fileName, f]));
    expect(Object.keys(byName).sort()).toEqual(['inputs/data.csv', 'result.json']);
    expect(byName['result.json']).toMatchObject({ mimeType: 'application/json', status: 'ready' });
    expect(byName['inputs/data.csv']).toMatchObject({ fileSize: changed.length, _id: file.id });
  });

  it('recording the same upload twice keeps one record with one id', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const first = await upload(client, dep.id, 'a.txt', Buffer.from('one'), 'text/plain');
    const second = await upload(client, dep.id, 'a.txt', Buffer.from('two'), 'text/plain');
    expect(second.id).toBe(first.id);
    const list = await client.call('GET', `/api/files?deploymentId=${dep.id}`);
    expect(list.body.data.files).toHaveLength(1);
  });
});

describe('uploads are checked', () => {
  it('refuses to record a file that was never uploaded (409, no record)', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const res = await client.call('POST', '/api/files/record', {
      deploymentId: dep.id,
      fileName: 'ghost.csv',
      fileSize: 3,
      mimeType: 'text/csv',
      storagePath: `deployments/${dep.id}/ghost.csv`,
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ success: false, error: { code: 'CONFLICT', message: expect.stringMatching(/Nothing was uploaded/) } });
    expect((await client.call('GET', `/api/files?deploymentId=${dep.id}`)).body.data.files).toEqual([]);
  });

  it('refuses to record a size other than the stored one (409, no record)', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const presign = await client.call('POST', '/api/files/presign', {
      deploymentId: dep.id,
      fileName: 'x.bin',
      fileSize: 5,
      mimeType: 'application/octet-stream',
    });
    await fetch(presign.body.data.uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from('12345'),
    });
    const res = await client.call('POST', '/api/files/record', {
      deploymentId: dep.id,
      fileName: 'x.bin',
      fileSize: 6,
      mimeType: 'application/octet-stream',
      storagePath: `deployments/${dep.id}/x.bin`,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/has 5 bytes, not the declared 6/);
    expect((await client.call('GET', `/api/files?deploymentId=${dep.id}`)).body.data.files).toEqual([]);
  });

  it('signs the size and the type: S3 refuses a PUT of other bytes or another type', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const presign = await client.call('POST', '/api/files/presign', {
      deploymentId: dep.id,
      fileName: 'x.csv',
      fileSize: 4,
      mimeType: 'text/csv',
    });
    const url = new URL(presign.body.data.uploadUrl);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(900);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host']),
    );
    expect(url.pathname).toContain(`/deployments/${client.tenant}/${dep.id}/x.csv`);
    const tooBig = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: Buffer.from('12345') });
    expect(tooBig.status).toBe(403);
    const wrongType = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: Buffer.from('1234') });
    expect(wrongType.status).toBe(403);
    const right = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: Buffer.from('1234') });
    expect(right.status).toBe(200);
  });
});

describe('sandbox state', () => {
  it('answers 409 to a sync into a stopped sandbox, still lets its results be pulled', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const file = await upload(client, dep.id, 'in.txt', Buffer.from('input'), 'text/plain');
    const stop = await client.call('POST', `/api/deployments/${dep.id}/stop`);
    expect(stop.status).toBe(200);
    expect(stop.body.data.deployment).toMatchObject({ status: 'stopped', sandbox: { state: 'stopped' } });
    const sync = await client.call('POST', `/api/deployments/${dep.id}/files/sync`, { files: [file.storagePath] });
    expect(sync.status).toBe(409);
    expect(sync.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/is stopped; sync needs a running sandbox/) });
    expect(existsSync(join(dep.sandbox.desktopPath, 'in.txt'))).toBe(false);

    writeFileSync(join(dep.sandbox.desktopPath, 'out.txt'), 'result');
    const pull = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: ['out.txt'] });
    expect(pull.status).toBe(200);
    expect(pull.body.data.pulledFiles).toHaveLength(1);
    // stopping again changes nothing
    expect((await client.call('POST', `/api/deployments/${dep.id}/stop`)).body.data.deployment.status).toBe('stopped');
  });

  it('reads a sandbox past its expiry as stopped, and the sweep stops then terminates it', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const past = new Date(Date.now() - 60_000).toISOString();
    await documentClient().send(
      new UpdateCommand({
        TableName: config.tableName('deployments'),
        Key: { pk: `T#${client.tenant}`, sk: `DEP#${dep.id}` },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': past },
      }),
    );
    expect((await client.call('GET', `/api/deployments/${dep.id}`)).body.data.deployment.status).toBe('stopped');
    const sync = await client.call('POST', `/api/deployments/${dep.id}/files/sync`, { files: [`deployments/${dep.id}/a.txt`] });
    expect(sync.status).toBe(409);

    await sweepSandboxes();
    const listed = await client.call('GET', '/api/deployments');
    expect(listed.body.data.deployments).toEqual([expect.objectContaining({ id: dep.id, status: 'stopped' })]);

    // a day and a minute after it stopped, the retention is over: the Desktop goes, the record says terminated
    await sweepSandboxes(new Date(Date.now() + (config.sandboxRetentionHours * 3600 + 60) * 1000));
    expect((await client.call('GET', `/api/deployments/${dep.id}`)).body.data.deployment.status).toBe('terminated');
    expect(existsSync(dep.sandbox.desktopPath)).toBe(false);
    const pull = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: ['a.txt'] });
    expect(pull.status).toBe(409);
  });
});

describe('the Desktop boundary', () => {
  const outside = mkdtempSync(join(tmpdir(), 'satchel-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'not yours');

  it('refuses to pull through a symlink to a file outside, or through a symlinked folder', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const desktop = dep.sandbox.desktopPath;
    symlinkSync(join(outside, 'secret.txt'), join(desktop, 'leak.txt'));
    symlinkSync(outside, join(desktop, 'linked'));
    mkdirSync(join(desktop, 'real'));
    writeFileSync(join(desktop, 'real', 'ok.txt'), 'fine');
    const pull = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, {
      files: ['leak.txt', 'linked/secret.txt', 'real/ok.txt', 'nothing.txt', 'real'],
    });
    expect(pull.status).toBe(207);
    expect(pull.body.data.pulledFiles).toEqual([expect.objectContaining({ fileName: 'real/ok.txt', fileSize: 4 })]);
    const failures = Object.fromEntries(pull.body.data.failedFiles.map((f: { file: string; code: string; reason: string }) => [f.file, f]));
    expect(failures['leak.txt']).toMatchObject({ code: 'INVALID_REQUEST', reason: expect.stringMatching(/symlink/) });
    expect(failures['linked/secret.txt']).toMatchObject({
      code: 'INVALID_REQUEST',
      reason: expect.stringMatching(/"linked" is a symlink/),
    });
    expect(failures['nothing.txt']).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(failures.real).toMatchObject({ code: 'INVALID_REQUEST', reason: expect.stringMatching(/not a regular file/) });
    const files = (await client.call('GET', `/api/files?deploymentId=${dep.id}`)).body.data.files;
    expect(files.map((f: { fileName: string }) => f.fileName)).toEqual(['real/ok.txt']);
  });

  it('refuses a FIFO without hanging, and a Desktop that was itself replaced by a symlink', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const desktop = dep.sandbox.desktopPath;
    expect(spawnSync('mkfifo', [join(desktop, 'pipe')]).status).toBe(0);
    const fifo = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: ['pipe'] });
    expect(fifo.body.data.failedFiles).toEqual([
      expect.objectContaining({ file: 'pipe', code: 'INVALID_REQUEST', reason: expect.stringMatching(/not a regular file/) }),
    ]);

    rmSync(desktop, { recursive: true });
    symlinkSync(outside, desktop);
    const pull = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: ['secret.txt'] });
    expect(pull.body.data.failedFiles).toEqual([
      expect.objectContaining({ code: 'INVALID_REQUEST', reason: expect.stringMatching(/the Desktop is a symlink/) }),
    ]);
  });

  it('answers a copy where every file failed as a failure a seed client cannot mistake for success', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const sync = await client.call('POST', `/api/deployments/${dep.id}/files/sync`, {
      files: [`deployments/${dep.id}/a.txt`, `deployments/${dep.id}/b.txt`],
    });
    expect(sync.status).toBe(207);
    expect(sync.body).toMatchObject({
      success: false,
      error: { code: 'TRANSFER_FAILED', message: expect.stringMatching(/^0 of 2 files synced/) },
    });
    expect(sync.body.data.syncedFiles).toEqual([]);
    expect(sync.body.data.failedFiles).toHaveLength(2);
    const pull = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: ['nothing.txt'] });
    expect(pull.status).toBe(207);
    expect(pull.body).toMatchObject({
      success: false,
      error: { code: 'TRANSFER_FAILED', message: expect.stringMatching(/^0 of 1 file pulled/) },
    });
    expect(pull.body.data).toEqual({
      pulledFiles: [],
      failedFiles: [expect.objectContaining({ file: 'nothing.txt', code: 'RESOURCE_NOT_FOUND' })],
    });
    // the SDK hands the flag on instead of pretending
    const sdk = createSatchelClient({ baseUrl: api.url, apiKey: client.key });
    expect(await sdk.pullFilesFromSandbox(dep.id, ['nothing.txt'])).toMatchObject({ success: false, pulledFiles: [] });
    expect(await sdk.syncFilesToSandbox(dep.id, [`deployments/${dep.id}/a.txt`])).toMatchObject({ success: false, syncedFiles: [] });
  });

  it('copies names of up to 255 bytes both ways, and no answer shows an errno text or a server path', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    // the 229-255 byte names of multi-byte characters failed on the temporary name; the local
    // store (s3rver) keeps an object in a file named after the key's last segment plus 22 bytes, so
    // a last segment here stays at or under 233 bytes (docs/files.md)
    const names = ['€'.repeat(77), `deep/${'é'.repeat(114)}.csv`, `${'€'.repeat(85)}/${'b'.repeat(229)}`];
    for (const name of names) expect(Math.max(...name.split('/').map((segment) => Buffer.byteLength(segment)))).toBeGreaterThan(228);
    const files = [];
    for (const [i, name] of names.entries()) files.push(await upload(client, dep.id, name, Buffer.from(`file ${i}`), 'text/plain'));
    const sync = await client.call('POST', `/api/deployments/${dep.id}/files/sync`, { files: files.map((f) => f.storagePath) });
    const text = JSON.stringify(sync.body);
    expect(text).not.toMatch(/ENAMETOOLONG|\/proc\/|satchel-part|errno/);
    expect(text).not.toContain(config.sandboxRoot);
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ success: true, message: 'Files synced to sandbox Desktop' });
    for (const [i, name] of names.entries()) expect(readFileSync(join(dep.sandbox.desktopPath, name), 'utf8')).toBe(`file ${i}`);
    for (const name of names) writeFileSync(join(dep.sandbox.desktopPath, name), `changed ${name.length}`);
    const pull = await client.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: names });
    expect(pull.status).toBe(200);
    expect(pull.body.success).toBe(true);
    expect(pull.body.data.pulledFiles.map((f: { fileName: string }) => f.fileName).sort()).toEqual([...names].sort());
  });

  it('never writes through a symlinked folder or over a symlink target when syncing', async () => {
    const client = await newTenant();
    const dep = await newDeployment(client);
    const desktop = dep.sandbox.desktopPath;
    const nested = await upload(client, dep.id, 'linked/planted.txt', Buffer.from('payload'), 'text/plain');
    const flat = await upload(client, dep.id, 'leak.txt', Buffer.from('overwrite?'), 'text/plain');
    symlinkSync(outside, join(desktop, 'linked'));
    symlinkSync(join(outside, 'secret.txt'), join(desktop, 'leak.txt'));
    const sync = await client.call('POST', `/api/deployments/${dep.id}/files/sync`, { files: [nested.storagePath, flat.storagePath] });
    expect(sync.status).toBe(207);
    expect(sync.body.data.failedFiles).toEqual([expect.objectContaining({ file: nested.storagePath, code: 'INVALID_REQUEST' })]);
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
    // the symlink itself is replaced by the file; its target outside is untouched
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('not yours');
    expect(readFileSync(join(desktop, 'leak.txt'), 'utf8')).toBe('overwrite?');
    expect(readdirSync(outside).sort()).toEqual(['secret.txt']);
  });
});

describe('tenancy', () => {
  it("answers 404 for another tenant's deployment and file, on every endpoint", async () => {
    const owner = await newTenant();
    const other = await newTenant();
    const dep = await newDeployment(owner);
    const file = await upload(owner, dep.id, 'a.txt', Buffer.from('mine'), 'text/plain');
    const attempts = [
      other.call('GET', `/api/deployments/${dep.id}`),
      other.call('POST', `/api/deployments/${dep.id}/stop`),
      other.call('GET', `/api/files?deploymentId=${dep.id}`),
      other.call('GET', `/api/files/download?fileId=${file.id}`),
      other.call('POST', '/api/files/presign', { deploymentId: dep.id, fileName: 'a.txt', fileSize: 1, mimeType: 'text/plain' }),
      other.call('POST', '/api/files/record', {
        deploymentId: dep.id,
        fileName: 'a.txt',
        fileSize: 4,
        mimeType: 'text/plain',
        storagePath: file.storagePath,
      }),
      other.call('POST', `/api/deployments/${dep.id}/files/sync`, { files: [file.storagePath] }),
      other.call('POST', `/api/deployments/${dep.id}/files/pull`, { files: ['a.txt'] }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ success: false, error: { code: 'RESOURCE_NOT_FOUND', message: expect.any(String) } });
    }
    expect((await other.call('GET', '/api/deployments')).body.data.deployments).toEqual([]);
    expect((await owner.call('GET', `/api/deployments/${dep.id}`)).body.data.deployment.status).toBe('running');
  });

  it("keeps an agent-bound key to its own agent's deployments", async () => {
    const admin = await newTenant();
    const agentKey = await api.key({ tenant: admin.tenant, agent: 'writer', surfaces: [...FILES] });
    const agent = {
      ...admin,
      key: agentKey.key,
      call: (m: string, p: string, b?: unknown) => call(api.url, m, p, { key: agentKey.key, body: b }),
    };
    const adminDep = await newDeployment(admin);
    const agentDep = await newDeployment(agent);
    expect(agentDep).toMatchObject({ agent: 'writer' });
    expect((await agent.call('GET', `/api/deployments/${adminDep.id}`)).status).toBe(404);
    expect((await agent.call('GET', '/api/deployments')).body.data.deployments.map((d: { id: string }) => d.id)).toEqual([agentDep.id]);
    expect((await admin.call('GET', '/api/deployments')).body.data.deployments).toHaveLength(2);
  });

  it('refuses keys without the files surface', async () => {
    const { key } = await api.key({ surfaces: ['memory'] });
    expect((await call(api.url, 'GET', '/api/deployments', { key })).status).toBe(403);
  });
});

describe('bad input is a 400 that names the problem', () => {
  let client: Awaited<ReturnType<typeof newTenant>>;
  let dep: { id: string };
  beforeAll(async () => {
    client = await newTenant();
    dep = await newDeployment(client);
  });

  const presign = (fileName: unknown, extra: Record<string, unknown> = {}) => ({
    deploymentId: 'DEP',
    fileName,
    fileSize: 1,
    mimeType: 'text/plain',
    ...extra,
  });
  const cases: [string, string, string, unknown, RegExp][] = [
    ['traversal', 'POST', '/api/files/presign', presign('../escape.txt'), /'\.\.' is not allowed/],
    ['nested traversal', 'POST', '/api/files/presign', presign('a/../../b.txt'), /'\.\.' is not allowed/],
    ['absolute path', 'POST', '/api/files/presign', presign('/etc/passwd'), /not an absolute path/],
    ['control character', 'POST', '/api/files/presign', presign('a\nb.txt'), /control characters/],
    ['NUL byte', 'POST', '/api/files/presign', presign('a\u0000b'), /control characters/],
    ['backslash', 'POST', '/api/files/presign', presign('a\\b.txt'), /not '\\'/],
    ['empty segment', 'POST', '/api/files/presign', presign('a//b.txt'), /empty or '\.' segments/],
    ['empty name', 'POST', '/api/files/presign', presign(''), /must not be empty/],
    ['too long', 'POST', '/api/files/presign', presign('x'.repeat(600)), /at most 512 bytes/],
    ['negative size', 'POST', '/api/files/presign', presign('a.txt', { fileSize: -1 }), /fileSize/],
    ['fractional size', 'POST', '/api/files/presign', presign('a.txt', { fileSize: 1.5 }), /whole number/],
    ['size over 5 GiB', 'POST', '/api/files/presign', presign('a.txt', { fileSize: 6 * 1024 ** 3 }), /5 GiB/],
    ['bad media type', 'POST', '/api/files/presign', presign('a.txt', { mimeType: 'text' }), /media type/],
    ['unknown field', 'POST', '/api/files/presign', presign('a.txt', { extra: 1 }), /extra/],
    ['malformed deployment id', 'POST', '/api/files/presign', presign('a.txt', { deploymentId: 'dep_../x' }), /deploymentId/],
    [
      'record with another storagePath',
      'POST',
      '/api/files/record',
      { ...presign('a.txt'), storagePath: 'deployments/DEP/b.txt' },
      /storagePath: must be deployments\/dep_\w+\/a\.txt/,
    ],
    ['sync path traversal', 'POST', '/api/deployments/DEP/files/sync', { files: ['deployments/DEP/../x'] }, /'\.\.' is not allowed/],
    [
      'sync path of another deployment',
      'POST',
      '/api/deployments/DEP/files/sync',
      { files: ['deployments/dep_aaaaaaaaaaaaaaaaaaaa/x.txt'] },
      /another deployment/,
    ],
    [
      'sync path not a storage path',
      'POST',
      '/api/deployments/DEP/files/sync',
      { files: ['x.txt'] },
      /deployments\/<deploymentId>\/<fileName>/,
    ],
    ['sync with no files', 'POST', '/api/deployments/DEP/files/sync', { files: [] }, /files/],
    ['pull traversal', 'POST', '/api/deployments/DEP/files/pull', { files: ['../../etc/passwd'] }, /'\.\.' is not allowed/],
    ['pull absolute', 'POST', '/api/deployments/DEP/files/pull', { files: ['/etc/passwd'] }, /absolute/],
    ['pull files not a list', 'POST', '/api/deployments/DEP/files/pull', { files: 'a.txt' }, /files/],
    ['malformed JSON', 'POST', '/api/deployments', '{"name":', /not valid JSON/],
    ['deployment without a name', 'POST', '/api/deployments', {}, /name/],
    ['duration too long', 'POST', '/api/deployments', { name: 'x', durationMinutes: 100000 }, /durationMinutes/],
    ['malformed id in the path', 'GET', '/api/deployments/not-an-id', undefined, /deployment id/],
    ['list without deploymentId', 'GET', '/api/files', undefined, /deploymentId/],
    ['download with a malformed file id', 'GET', '/api/files/download?fileId=x', undefined, /file id/],
  ];

  it.each(cases)('%s', async (_label, method, path, body, reason) => {
    const fill = (v: unknown): unknown =>
      typeof v === 'string'
        ? v.replaceAll('DEP', dep.id)
        : Array.isArray(v)
          ? v.map(fill)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]))
            : v;
    const res = await client.call(method, fill(path) as string, fill(body));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: { code: 'INVALID_REQUEST', message: expect.stringMatching(reason) } });
  });

  it('an unknown deployment id of the right shape is 404', async () => {
    const res = await client.call('GET', '/api/deployments/dep_aaaaaaaaaaaaaaaaaaaa');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('RESOURCE_NOT_FOUND');
  });
});

describe('SDK', () => {
  it('uploads a stream in one call, syncs, pulls and hands out a download URL', async () => {
    const { key } = await api.key({ surfaces: ['files'] });
    const client = createSatchelClient({ baseUrl: api.url, apiKey: key });
    const deployment = await client.createDeployment({ name: 'sdk', durationMinutes: 5 });
    const bytes = Buffer.from('streamed through the SDK');
    const file = await client.uploadDeploymentFile({
      deploymentId: deployment.id,
      fileName: 'notes/sdk.txt',
      fileSize: bytes.length,
      mimeType: 'text/plain',
      body: Readable.toWeb(Readable.from([bytes])) as ReadableStream<Uint8Array>,
    });
    expect(file).toMatchObject({ status: 'ready', fileSize: bytes.length });
    expect(await client.listDeploymentFiles(deployment.id)).toEqual([expect.objectContaining({ _id: file.id })]);
    const sync = await client.syncFilesToSandbox(deployment.id, [file.storagePath]);
    expect(sync).toEqual({
      success: true,
      message: 'Files synced to sandbox Desktop',
      syncedFiles: [expect.objectContaining({ fileName: 'notes/sdk.txt' })],
      failedFiles: [],
    });
    const pulled = await client.pullFilesFromSandbox(deployment.id, ['notes/sdk.txt']);
    expect(pulled.pulledFiles[0].fileId).toBe(file.id);
    const { downloadUrl } = await client.fileDownloadUrl(file.id);
    expect(Buffer.from(await (await fetch(downloadUrl)).arrayBuffer()).equals(bytes)).toBe(true);
    expect((await client.stopDeployment(deployment.id)).status).toBe('stopped');
    await expect(client.syncFilesToSandbox(deployment.id, [file.storagePath])).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
  });
});
