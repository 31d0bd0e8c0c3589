import { createProgress, formatBytes, formatDuration, plural, renderLine, RateMeter, type Snapshot } from '../../../../client/cli/progress';

const MiB = 1024 * 1024;
const midway: Snapshot = {
  verb: 'upload',
  files: 243,
  totalFiles: 300,
  bytes: 29.4 * MiB,
  totalBytes: 70 * MiB,
  scanning: false,
  rate: 12.3 * MiB,
};

/** A terminal (or a pipe) that keeps what was written. */
function terminal(columns: number, isTTY = true) {
  const written: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  const ERASE_LINE = '\x1b[K';
  /** What the screen shows now: the last line after the last carriage return, escape codes dropped. */
  const screen = () =>
    written
      .join('')
      .split(/\r|\n/)
      .map((l) => l.replaceAll(ERASE_LINE, ''))
      .filter(Boolean);
  return { stream, written, screen };
}

describe('renderLine', () => {
  it('at 120 columns shows the bar, percent, bytes, rate, ETA and files', () => {
    const line = renderLine(midway, 120);
    expect(line.length).toBeLessThan(120);
    expect(line).toMatch(/^upload \[#+-+\] {2}42% \| 29\.4 MiB\/70\.0 MiB \| 12\.3 MiB\/s \| ETA 3s \| 243\/300 files$/);
  });

  it('at 80 columns keeps percent, bytes, rate and ETA, dropping the less important fields first', () => {
    const line = renderLine({ ...midway, rate: 100 * 1024 }, 80);
    expect(line.length).toBeLessThan(80);
    expect(line).toContain(' 42%');
    expect(line).toContain('29.4 MiB/70.0 MiB');
    expect(line).toContain('100.0 KiB/s');
    expect(line).toContain('ETA 6m56s');
    const long = renderLine({ ...midway, verb: 'upload a-rather-long-file-name-of-a-report.csv', rate: 100 * 1024 }, 80);
    expect(long.length).toBeLessThan(80);
    // bar and file count gone, the file name cut
    expect(long).toMatch(/^upload a-rather-long-\S*… {2}42% \| 29\.4 MiB\/70\.0 MiB \| 100\.0 KiB\/s \| ETA 6m56s$/);
  });

  it('while totals are still known only in part says "scanning…", with no percent, bar or ETA', () => {
    const line = renderLine({ ...midway, scanning: true }, 120);
    expect(line).toMatch(/^upload scanning… \| 29\.4 MiB\/70\.0 MiB\+ \| 12\.3 MiB\/s \| 243\/300\+ files$/);
    expect(line).not.toMatch(/ETA|%|\[/);
  });

  it('cuts a long verb last and never exceeds the width', () => {
    for (const columns of [20, 40, 60, 80, 100, 120, 200]) {
      const line = renderLine({ ...midway, verb: `download ${'x'.repeat(150)}.bin` }, columns);
      expect(line.length).toBeLessThanOrEqual(columns - 1);
      expect(line).toContain('42%');
    }
  });

  it('shows no ETA guess before a rate is measured', () => {
    expect(renderLine({ ...midway, rate: undefined }, 120)).toMatch(/-\/s \| ETA - \|/);
  });
});

describe('formatting', () => {
  it('durations never show 60 in a part', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(3599.6)).toBe('1h00m');
    expect(formatDuration(11 * 3600 + 59 * 60 + 50)).toBe('12h00m');
    expect(formatDuration(35400)).toBe('9h50m');
    expect(formatDuration(1e9)).toBe('>99h');
  });
  it('bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
    expect(formatBytes(70 * MiB)).toBe('70.0 MiB');
  });
  it('plurals', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(0, 'file')).toBe('0 files');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });
  it('the rate is smoothed over a window, not the last chunk', () => {
    const meter = new RateMeter(5000);
    expect(meter.sample(0, 0)).toBeUndefined();
    expect(meter.sample(1000, MiB)).toBe(MiB);
    expect(meter.sample(2000, 2 * MiB)).toBe(MiB);
    // a stall of one tick halves nothing at once
    expect(meter.sample(3000, 2 * MiB)).toBeCloseTo((2 * MiB) / 3);
  });
});

describe('createProgress', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('on a terminal counts bytes as they stream within a file, redraws within the width and ends with a summary', () => {
    let clock = 0;
    const tty = terminal(80);
    const progress = createProgress({ verb: 'upload', stream: tty.stream, now: () => clock });
    progress.add(2, 70 * MiB);
    progress.scanned();
    progress.advance('big.bin', 20 * MiB);
    clock += 1000;
    jest.advanceTimersByTime(200);
    expect(tty.screen().at(-1)).toMatch(/^upload \[#+-+\] {2}28% \| 20\.0 MiB\/70\.0 MiB \| 20\.0 MiB\/s \| ETA 3s/);
    expect(tty.screen().every((l) => l.length < 80)).toBe(true);
    progress.advance('big.bin', -5 * MiB); // a failed attempt is taken back
    progress.done('big.bin', 60 * MiB);
    progress.done('small.txt', 10 * MiB);
    clock += 1000;
    progress.stop();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's erase-line escape is what is asserted
    expect(tty.written.join('')).toMatch(/\r\x1b\[Kupload: 2 files, 70\.0 MiB in 2s \(35\.0 MiB\/s\)\n$/);
    const before = tty.written.length;
    jest.advanceTimersByTime(1000);
    expect(tty.written.length).toBe(before); // no redraw after stop
  });

  it('draws nothing and prints no summary for a no-op', () => {
    const tty = terminal(120);
    const progress = createProgress({ verb: 'upload', stream: tty.stream });
    progress.add(0, 0);
    progress.scanned();
    jest.advanceTimersByTime(2000);
    progress.stop();
    expect(tty.written).toEqual([]);
  });

  it('not on a terminal: one plain line per file and the summary', () => {
    const pipe = terminal(80, false);
    const progress = createProgress({ verb: 'download', stream: pipe.stream, now: () => 0 });
    progress.add(1, 5);
    progress.advance('a.txt', 5);
    jest.advanceTimersByTime(2000);
    progress.done('a.txt', 5);
    progress.stop();
    expect(pipe.written.join('')).toBe('download a.txt (5 B)\ndownload: 1 file, 5 B in 0s\n');
  });
});
