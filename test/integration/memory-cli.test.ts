import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../support/api';
import { runSatchel } from '../support/cli';

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

const note = (id: string, text: string, at: string) => ({ table: 'notes', record_id: id, operation: 'upsert', data: { text }, local_updated_at: at });

it('keeps one pull position per machine, made once and kept, and --full lists every live record', async () => {
  const { key } = await api.key({ surfaces: ['memory'] });
  const machine = (name: string) => ({
    SATCHEL_URL: api.url, SATCHEL_API_KEY: key, SATCHEL_AGENT: 'claire', SATCHEL_DEVICE_ID: '', XDG_STATE_HOME: join(work, name),
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
