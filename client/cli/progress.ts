/**
 * The one progress display of every transfer (sync push/pull, files upload/download, items).
 * On a terminal: one line redrawn a few times a second with percent, bytes, rate, ETA and files,
 * fitted to the terminal width. Elsewhere: one plain line per finished file. Both end with a
 * summary line when anything moved, and nothing at all when nothing did.
 */
export interface Progress {
  /**
   * Work became known: `files` more files of `bytes` bytes in all. Until `scanned()` the totals
   * may still grow, and the line says "scanning…" instead of a percent and an ETA.
   */
  add(files: number, bytes: number): void;
  /** The totals are final. */
  scanned(): void;
  /** Bytes of a file moved, as they stream (negative to take back a failed attempt). */
  advance(path: string, bytes: number): void;
  /** A file is complete: its `bytes` count as moved, whatever `advance` already said. */
  done(path: string, bytes: number): void;
  /** Stops drawing and prints the summary line (when anything moved). */
  stop(): void;
}

export const silentProgress: Progress = {
  add: () => undefined,
  scanned: () => undefined,
  advance: () => undefined,
  done: () => undefined,
  stop: () => undefined,
};

/** `1 file`, `2 files`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.max(0, n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KiB would print as "1024.0 KiB": show the next unit instead
  if (unit > 0 && unit < units.length - 1 && Number(value.toFixed(1)) >= 1024) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Whole seconds as `42s`, `3m05s`, `2h05m`; `>99h` beyond. Rounded once, so a part never reads 60. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const minutes = Math.round(s / 60);
  const h = Math.floor(minutes / 60);
  if (h > 99) return '>99h';
  return `${h}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** What the line shows at one moment. */
export interface Snapshot {
  verb: string;
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  /** Totals may still grow. */
  scanning: boolean;
  /** Smoothed bytes per second; undefined until there is enough to measure. */
  rate?: number;
}

const BAR_MIN = 10;
const BAR_MAX = 30;
const VERB_MIN = 16;

/**
 * One progress line of at most `columns - 1` characters (the last column would wrap on some
 * terminals). Fields leave in this order when the width is short: the bar, the file count, the
 * ETA, the rate, the bytes; the verb is cut last and the percent always stays.
 */
export function renderLine(s: Snapshot, columns: number): string {
  const width = Math.max(8, columns - 1);
  const fraction = s.totalBytes > 0 ? Math.min(1, s.bytes / s.totalBytes) : s.totalFiles > 0 ? Math.min(1, s.files / s.totalFiles) : 0;
  const percent = s.scanning ? 'scanning…' : `${Math.floor(fraction * 100)}%`.padStart(4);
  const fields: { text: string; rank: number }[] = [
    { text: `${formatBytes(s.bytes)}/${formatBytes(s.totalBytes)}${s.scanning ? '+' : ''}`, rank: 4 },
    { text: s.rate === undefined ? '-/s' : `${formatBytes(s.rate)}/s`, rank: 3 },
  ];
  if (!s.scanning) {
    const remaining = s.totalBytes - s.bytes;
    const eta = remaining <= 0 ? formatDuration(0) : s.rate ? formatDuration(remaining / s.rate) : '-';
    fields.push({ text: `ETA ${eta}`, rank: 2 });
  }
  fields.push({ text: `${s.files}/${s.totalFiles}${s.scanning ? '+' : ''} files`, rank: 1 });

  const compose = (kept: typeof fields, bar: number, verb = s.verb) => {
    const filled = Math.round(fraction * bar);
    const head = bar > 0 ? `${verb} [${'#'.repeat(filled)}${'-'.repeat(bar - filled)}] ${percent}` : `${verb} ${percent}`;
    return [head, ...kept.map((f) => f.text)].join(' | ');
  };
  let kept = fields;
  const withoutBar = (verb = s.verb) => compose(kept, 0, verb).length;
  if (!s.scanning && withoutBar() + BAR_MIN + 3 <= width) {
    return compose(kept, Math.min(BAR_MAX, width - withoutBar() - 3));
  }
  // a long verb (it may hold a file name) is cut to this before rate and ETA leave
  const cut = (verb: string, room: number) => (verb.length <= room ? verb : `${verb.slice(0, Math.max(0, room - 1))}…`);
  const shortVerb = () => cut(s.verb, Math.max(VERB_MIN, s.verb.length - (withoutBar() - width)));
  for (const rank of [1, 0, 2, 3, 4]) {
    if (withoutBar() <= width) break;
    if (rank === 0) {
      if (withoutBar(shortVerb()) <= width) return compose(kept, 0, shortVerb());
    } else kept = kept.filter((f) => f.rank !== rank);
  }
  if (withoutBar() <= width) return compose(kept, 0);
  // only the verb and the percent are left
  return compose([], 0, cut(s.verb, Math.max(1, width - percent.length - 1)));
}

/**
 * Bytes per second over the last few seconds: steady enough to read, quick to follow a change.
 * Samples are taken at each redraw, not per chunk.
 */
export class RateMeter {
  private readonly samples: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  sample(at: number, bytes: number): number | undefined {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const span = at - first.at;
    return span >= 500 ? (bytes - first.bytes) / (span / 1000) : undefined;
  }
}

export interface ProgressOptions {
  /** Shown first on the line and in the summary, e.g. `upload`. */
  verb: string;
  /** Printed after Ctrl-C, e.g. "run the same command again: finished uploads are not sent again". */
  resumeHint?: string;
  stream?: NodeJS.WriteStream;
  /** For tests: the clock. */
  now?: () => number;
  /** Redraws per second on a terminal. */
  fps?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const streamed = new Map<string, number>();
  const meter = new RateMeter();
  let startedAt = 0;
  let scanning = true;
  let files = 0;
  let totalFiles = 0;
  let bytes = 0;
  let totalBytes = 0;
  let rate: number | undefined;
  let drawn = false;
  let timer: NodeJS.Timeout | undefined;

  const snapshot = (): Snapshot => ({ verb: options.verb, files, totalFiles, bytes, totalBytes, scanning, rate });
  const draw = () => {
    if (!totalFiles) return;
    rate = meter.sample(now(), bytes);
    stream.write(`\r${renderLine(snapshot(), stream.columns || 80)}\x1b[K`);
    drawn = true;
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  const onInterrupt = () => {
    if (timer) clearInterval(timer);
    clear();
    const moved = files ? ` (${files} of ${plural(totalFiles, 'file')} done)` : '';
    stream.write(`\n${options.verb} interrupted${moved}${options.resumeHint ? `: ${options.resumeHint}` : ''}\n`);
    process.exit(130);
  };
  process.on('SIGINT', onInterrupt);

  return {
    add(count, size) {
      totalFiles += count;
      totalBytes += size;
      if (!startedAt && count) {
        startedAt = now();
        meter.sample(startedAt, 0);
        if (tty) timer = setInterval(draw, 1000 / (options.fps ?? 5)).unref();
      }
    },
    scanned() {
      scanning = false;
    },
    advance(path, size) {
      streamed.set(path, (streamed.get(path) ?? 0) + size);
      bytes += size;
    },
    done(path, size) {
      bytes += size - (streamed.get(path) ?? 0);
      streamed.delete(path);
      files++;
      if (!tty) stream.write(`${options.verb} ${path} (${formatBytes(size)})\n`);
    },
    stop() {
      process.off('SIGINT', onInterrupt);
      if (timer) clearInterval(timer);
      clear();
      if (!files && !bytes) return;
      const seconds = (now() - startedAt) / 1000;
      const rateText = seconds >= 0.5 ? ` (${formatBytes(bytes / seconds)}/s)` : '';
      stream.write(`${options.verb}: ${plural(files, 'file')}, ${formatBytes(bytes)} in ${formatDuration(seconds)}${rateText}\n`);
    },
  };
}
