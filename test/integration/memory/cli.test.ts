import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../../support/api';
import { runSatchel } from '../../support/cli';

/** `satchel memory` on two machines sharing one key: each sends its own device id, so neither hides changes from the other. */
let api: TestApi;
let work: string;
beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'satchel-memory-cli-'));
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

const note = (id: string, text: string, at: string) => ({
  table: 'notes',
  record_id: id,
  operation: 'upsert',
  data: { text },
  local_updated_at: at,
});

it('keeps one pull position per machine, made once and kept, and --full lists every live record', async () => {
  const { key } = await api.key({ surfaces: ['memory'] });
  const machine = (name: string) => ({
    SATCHEL_URL: api.url,
    SATCHEL_API_KEY: key,
    SATCHEL_AGENT: 'claire',
    SATCHEL_DEVICE_ID: '',
    XDG_STATE_HOME: join(work, name),
  });
  const satchel = async (env: Record<string, string>, args: string[], input?: string) => {
    const result = await runSatchel(['memory', ...args], { env, input });
    expect([result.code, result.stderr]).toEqual([0, '']);
    return JSON.parse(result.stdout);
  };
  const laptop = machine('laptop');
  const desktop = machine('desktop');
  const pulledIds = (answer: { operations: { record_id: string }[] }) => answer.operations.map((o) => o.record_id);

  await satchel(laptop, ['push'], JSON.stringify([note('a', 'from the laptop', '2024-01-15T10:00:00Z')]));
  expect(pulledIds(await satchel(laptop, ['pull']))).toEqual(['a']);
  expect(pulledIds(await satchel(desktop, ['pull']))).toEqual(['a']);
  expect(pulledIds(await satchel(laptop, ['pull']))).toEqual([]);

  await satchel(desktop, ['push'], JSON.stringify([note('b', 'from the desktop', '2024-01-15T11:00:00Z')]));
  expect(pulledIds(await satchel(laptop, ['pull']))).toEqual(['b']);
  expect(pulledIds(await satchel(desktop, ['pull']))).toEqual(['b']);
  expect(await satchel(desktop, ['status'])).toMatchObject({ remote_changes_available: 0, last_pull: expect.any(String) });

  const full = await satchel(desktop, ['pull', '--full']);
  expect(full).toMatchObject({ pulled: 2, full_resync: false });
  expect(pulledIds(full).sort()).toEqual(['a', 'b']);

  const laptopId = readFileSync(join(work, 'laptop', 'satchel', 'device-id'), 'utf8').trim();
  const desktopId = readFileSync(join(work, 'desktop', 'satchel', 'device-id'), 'utf8').trim();
  expect(laptopId).not.toBe(desktopId);
  // --device names another device: it starts from the beginning
  expect(pulledIds(await satchel(laptop, ['pull', '--device', 'tablet']))).toEqual(['a', 'b']);
});

it('push reads a file (an array or {operations}), sends batches over the per-call cap, and says which file is not JSON', async () => {
  const { key } = await api.key({ surfaces: ['memory'] });
  const env = {
    SATCHEL_URL: api.url,
    SATCHEL_API_KEY: key,
    SATCHEL_AGENT: 'batcher',
    SATCHEL_DEVICE_ID: 'cli-test',
    XDG_STATE_HOME: join(work, 'batcher'),
  };
  const run = (args: string[]) => runSatchel(['memory', ...args], { env, cwd: work });
  const ops = Array.from({ length: 1500 }, (_, i) => note(`n${String(i).padStart(4, '0')}`, `note ${i}`, '2024-02-01T10:00:00Z'));
  writeFileSync(join(work, 'many.json'), JSON.stringify(ops));
  const pushed = await run(['push', 'many.json']);
  expect([pushed.code, pushed.stderr]).toEqual([0, '']);
  expect(JSON.parse(pushed.stdout)).toMatchObject({ pushed: 1500, failed: 0, remaining: 0 });

  writeFileSync(join(work, 'wrapped.json'), JSON.stringify({ operations: [note('n0000', 'changed', '2024-02-02T10:00:00Z')] }));
  const wrapped = await run(['push', 'wrapped.json']);
  expect([wrapped.code, JSON.parse(wrapped.stdout).pushed]).toEqual([0, 1]);

  const full = await run(['pull', '--full']);
  const records = JSON.parse(full.stdout) as { pulled: number; operations: { record_id: string; data: { text: string } }[] };
  expect(records.pulled).toBe(1500);
  expect(records.operations.find((o) => o.record_id === 'n0000')?.data.text).toBe('changed');

  writeFileSync(join(work, 'broken.json'), '[{"table": ');
  const broken = await run(['push', 'broken.json']);
  expect(broken.code).not.toBe(0);
  expect(broken.stderr.trim()).toMatch(/^satchel: broken\.json is not valid JSON: /);
  writeFileSync(join(work, 'object.json'), '{"table": "notes"}');
  expect((await run(['push', 'object.json'])).stderr.trim()).toBe(
    'satchel: the operations file must hold a JSON array of operations, or {"operations": [...]}',
  );
});

it('pull --cursor resumes after that cursor, and status reports the device position', async () => {
  const { key } = await api.key({ surfaces: ['memory'] });
  const env = {
    SATCHEL_URL: api.url,
    SATCHEL_API_KEY: key,
    SATCHEL_AGENT: 'resumer',
    SATCHEL_DEVICE_ID: '',
    XDG_STATE_HOME: join(work, 'resumer'),
  };
  const satchel = async (args: string[], input?: string) => {
    const result = await runSatchel(['memory', ...args], { env, input });
    expect([result.code, result.stderr]).toEqual([0, '']);
    return JSON.parse(result.stdout);
  };
  await satchel(['push'], JSON.stringify([note('a', 'one', '2024-03-01T10:00:00Z'), note('b', 'two', '2024-03-01T10:00:01Z')]));
  const first = await satchel(['pull']);
  expect(first.operations.map((o: { record_id: string }) => o.record_id)).toEqual(['a', 'b']);
  await satchel(['push'], JSON.stringify([note('c', 'three', '2024-03-01T10:00:02Z')]));
  expect(await satchel(['status'])).toMatchObject({ remote_changes_available: 1 });
  // from the cursor printed before: only what came after it, whatever this device's own position
  const resumed = await satchel(['pull', '--cursor', first.cursor]);
  expect(resumed.operations.map((o: { record_id: string }) => o.record_id)).toEqual(['c']);
  expect((await satchel(['pull', '--cursor', first.cursor])).operations.map((o: { record_id: string }) => o.record_id)).toEqual(['c']);
  const bad = await runSatchel(['memory', 'pull', '--cursor', 'not-a-cursor'], { env });
  expect(bad.code).not.toBe(0);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr).toMatch(/^satchel: .*cursor/);
});
