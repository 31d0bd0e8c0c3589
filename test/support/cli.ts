import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
/** The installed command: what `npm link` / `npm install -g .` puts on the PATH. */
export const BIN = join(ROOT, 'client', 'cli', 'bin.cjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** Called with each stderr chunk, e.g. to interrupt the command once it is under way. */
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
}

/**
 * Runs the real `satchel` binary in a child process (asynchronously: the API answering it may run
 * in the test's own process) and resolves with its exit code and output, whatever the code.
 */
export function runSatchel(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // a variable given as undefined is removed
    const env = Object.fromEntries(
      Object.entries({ ...process.env, ...options.env }).filter(([, v]) => v !== undefined),
    ) as NodeJS.ProcessEnv;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A stack trace line, as Node prints them: `    at fn (file:1:2)`. */
export const STACK_LINE = /^\s+at .+[:(]/m;
