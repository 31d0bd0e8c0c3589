import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { hasControlCharacter } from '../../lambdas/shared/path-rules';

/**
 * This machine's memory-sync device id: the server keeps one pull position per named device, so
 * two machines on one API key never hide changes from each other. `--device` or SATCHEL_DEVICE_ID
 * name it; else an id made once per user and machine and kept in
 * `$XDG_STATE_HOME/satchel/device-id` (default `~/.local/state/satchel/device-id`).
 */
export const deviceIdFile = (): string => join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'satchel', 'device-id');

const valid = (id: string): boolean => id.length >= 1 && id.length <= 256 && !hasControlCharacter(id, { c1: false });

export function deviceId(flag?: string): string {
  const named = flag || process.env.SATCHEL_DEVICE_ID;
  if (named) {
    if (!valid(named)) throw new Error('--device / SATCHEL_DEVICE_ID: 1 to 256 characters, no control characters');
    return named;
  }
  const file = deviceIdFile();
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (valid(stored)) return stored;
  } catch {
    // first use on this machine
  }
  const made = `${
    hostname()
      .replace(/[^A-Za-z0-9.-]/g, '')
      .slice(0, 64) || 'device'
  }-${randomBytes(4).toString('hex')}`;
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, `${made}\n`, { flag: 'wx', mode: 0o600 });
    return made;
  } catch {
    // another satchel process made it first: use theirs
    return readFileSync(file, 'utf8').trim();
  }
}
