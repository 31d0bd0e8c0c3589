import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Confirmation } from '../../sdk/sync';
import { folderCacheFile } from './folder-cache';

/**
 * Uploads a push has made but not yet confirmed, kept outside the pushed folder (in the user's cache)
 * so an interrupted push can confirm them on its next run instead of uploading the bytes again.
 */
export class PushJournal {
  /** Opened on the first record and kept open: one write per upload, not an open and close. */
  private handle?: Promise<FileHandle>;
  /** The journal could not be written (a read-only cache): the push goes on without it. */
  private failed = false;

  private constructor(
    private readonly file: string,
    private readonly warn?: (message: string) => void,
  ) {}

  /** `warn` hears once when the journal cannot be written; the push then resumes less on its next run. */
  static for(baseUrl: string, dir: string, agentId: string | undefined, warn?: (message: string) => void): PushJournal {
    return new PushJournal(folderCacheFile('push', 'jsonl', baseUrl, dir, agentId), warn);
  }

  /** The uploads recorded by an earlier, unfinished push. */
  async uploaded(): Promise<Confirmation[]> {
    const text = await readFile(this.file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Confirmation];
        } catch {
          return []; // a line cut short by the interruption
        }
      });
  }

  async record(upload: Confirmation): Promise<void> {
    if (this.failed) return;
    try {
      this.handle ??= mkdir(join(this.file, '..'), { recursive: true }).then(() => open(this.file, 'a'));
      await (await this.handle).appendFile(`${JSON.stringify(upload)}\n`);
    } catch (error) {
      if (this.failed) return;
      this.failed = true;
      this.handle = undefined;
      this.warn?.(
        `cannot keep the push's resume journal (${(error as NodeJS.ErrnoException).code ?? (error as Error).message} at ${this.file}): ` +
          'pushing without it (an interrupted push uploads its files again); set XDG_CACHE_HOME to a writable folder',
      );
    }
  }

  /** Closes the file, keeping what it holds for the next push. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle)?.close();
  }

  /** Forgets the uploads: they are all confirmed. */
  async clear(): Promise<void> {
    await this.close();
    if (!this.failed) await rm(this.file, { force: true });
  }
}
