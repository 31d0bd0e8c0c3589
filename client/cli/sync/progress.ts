import { SingleBar } from 'cli-progress';

/** Reports a transfer: a bar with files, bytes, rate and ETA on a TTY, one plain line per file otherwise. */
export interface Progress {
  /** More work became known (a pull learns its files page by page); the first call starts the clock. */
  add(files: number, bytes: number): void;
  done(path: string, bytes: number): void;
  stop(): void;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export const silentProgress: Progress = { add: () => undefined, done: () => undefined, stop: () => undefined };

export function createProgress(verb: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    return {
      add: (files, bytes) => void (files && stream.write(`${verb} ${files} file${files === 1 ? '' : 's'} (${formatBytes(bytes)})\n`)),
      done: (path, bytes) => stream.write(`${verb} ${path} (${formatBytes(bytes)})\n`),
      stop: () => undefined,
    };
  }
  let files = 0;
  let totalFiles = 0;
  let bytes = 0;
  let totalBytes = 0;
  let startedAt = 0;
  const bar = new SingleBar({
    stream,
    format: `${verb} [{bar}] {percentage}% | {files}/{totalFiles} files | {bytesDone}/{bytesTotal} | {rate}/s | ETA {eta_formatted}`,
    hideCursor: true,
    etaBuffer: 50,
  });
  const payload = () => {
    const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
    return { files, totalFiles, bytesDone: formatBytes(bytes), bytesTotal: formatBytes(totalBytes), rate: formatBytes(bytes / seconds) };
  };
  return {
    add(count, size) {
      totalFiles += count;
      totalBytes += size;
      if (!startedAt) {
        startedAt = Date.now();
        bar.start(Math.max(totalBytes, 1), 0, payload());
      } else bar.setTotal(Math.max(totalBytes, 1));
    },
    done(_path, size) {
      files++;
      bytes += size;
      bar.update(bytes, payload());
    },
    stop: () => bar.stop(),
  };
}
