import { Transform } from 'node:stream';
import { createProgress, type Progress } from './progress';

/** Passes bytes through, reporting each chunk to the progress as it streams. */
export const counter = (progress: Progress, name: string) =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      progress.advance(name, chunk.length);
      callback(null, chunk);
    },
  });

/** A one-file transfer on the shared progress display. */
export function oneFile(
  verb: string,
  size: number | undefined,
  resumeHint = 'nothing was recorded; run the same command again to start over',
) {
  const progress = createProgress({ verb, resumeHint });
  progress.add(1, size ?? 0);
  if (size !== undefined) progress.scanned();
  return progress;
}
