import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * What a running `npm start` leaves behind so others can find it: a lock and runtime.json in its
 * state folder (SATCHEL_HOME), and a record per running runtime in the user's home, so the CLI
 * finds it from any folder.
 */
export interface LocalRuntimeInfo {
  url: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  pid: number;
  /** The state folder. */
  home: string;
}

export const satchelHome = (): string => resolve(process.env.SATCHEL_HOME ?? '.satchel');
/** Written while `npm start` runs, so the CLI can reach the same DynamoDB Local and API. */
export const runtimeFile = (home: string): string => join(home, 'runtime.json');
const lockFile = (home: string): string => join(home, 'satchel.lock');
/** `$XDG_STATE_HOME/satchel/runtimes` (default `~/.local/state/satchel/runtimes`): one record per running runtime. */
export const userRecordsDir = (): string => join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'satchel', 'runtimes');
const userRecord = (pid: number): string => join(userRecordsDir(), `${pid}.json`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Takes the state folder for this process before anything starts: a second runtime on the same
 * folder would run a second DynamoDB Local and S3 emulator on the same files. A lock left by a
 * process that is gone is taken over. Returns the release; throws, naming the holder, when taken.
 */
export function lockHome(home: string, port: number): () => void {
  const file = lockFile(home);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, port }));
      closeSync(fd);
      return () => {
        if (readJson<{ pid: number }>(file)?.pid === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = readJson<{ pid: number; port: number }>(file);
      if (holder && isAlive(holder.pid)) {
        const running = readJson<LocalRuntimeInfo>(runtimeFile(home));
        throw new Error(
          `Satchel already runs on the state folder ${home}: pid ${holder.pid}, ${running?.url ?? `port ${holder.port}`}. ` +
            'Use that one, stop it first (Ctrl-C where it runs), or give this one another SATCHEL_HOME.',
        );
      }
      rmSync(file, { force: true });
    }
  }
}

/** Records a started runtime in its state folder and in the user's home. */
export function writeRecords(info: LocalRuntimeInfo): void {
  writeFileSync(runtimeFile(info.home), JSON.stringify(info, null, 2));
  mkdirSync(userRecordsDir(), { recursive: true });
  writeFileSync(userRecord(info.pid), JSON.stringify(info, null, 2));
}

export function removeRecords(info: LocalRuntimeInfo): void {
  rmSync(runtimeFile(info.home), { force: true });
  rmSync(userRecord(info.pid), { force: true });
}

/** The runtime running on a state folder, if any (runtime.json of a live process). */
export function runtimeIn(home: string): LocalRuntimeInfo | undefined {
  const info = readJson<LocalRuntimeInfo>(runtimeFile(home));
  return info && isAlive(info.pid) ? { ...info, home: info.home ?? home } : undefined;
}

/** Every runtime of this user still running; records of processes that are gone are removed. */
export function runningRuntimes(): LocalRuntimeInfo[] {
  const dir = userRecordsDir();
  if (!existsSync(dir)) return [];
  const live: LocalRuntimeInfo[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const info = readJson<LocalRuntimeInfo>(join(dir, name));
    if (info && isAlive(info.pid)) live.push(info);
    else rmSync(join(dir, name), { force: true });
  }
  return live;
}
