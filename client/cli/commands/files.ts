import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { mimeTypeOf } from '../../../lambdas/files/mime-types';
import type { FailedFile } from '../../sdk/files';
import { connect, withConnection, type ConnectionFlags } from '../connection';

/** A byte counter that moves a progress bar on stderr (silent when stderr is not a terminal). */
function progress(label: string, total: number) {
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, hideCursor: true });
  bar.start(total, 0);
  let done = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      bar.update(done);
      callback(null, chunk);
    },
  });
  return { counter, stop: () => bar.stop() };
}

function reportFailures(failed: FailedFile[]): void {
  for (const f of failed) console.error(`failed  ${f.file}: ${f.reason} (${f.code})`);
  if (failed.length) process.exitCode = 1;
}

/** `satchel files list|upload|download|sync|pull`: a deployment's files and its sandbox Desktop. */
export function registerFiles(program: Command): void {
  const files = program.command('files').description("Upload, download, and move files between storage and a deployment's sandbox Desktop");

  withConnection(files.command('list <deploymentId>'))
    .description('List the files tracked for a deployment')
    .action(async (deploymentId: string, flags: ConnectionFlags) => {
      const list = await connect(flags).listDeploymentFiles(deploymentId);
      if (!list.length) return console.log('No files yet.');
      for (const f of list) console.log(`${f._id}  ${String(f.fileSize).padStart(12)}  ${f.storagePath}`);
    });

  withConnection(files.command('upload <deploymentId> <path>'))
    .description('Upload a local file (presigned PUT straight to storage, then recorded)')
    .option('--name <fileName>', 'name (or relative path) on the Desktop; default: the file’s own name')
    .option('--type <mimeType>', 'media type; default: from the extension')
    .action(async (deploymentId: string, path: string, flags: ConnectionFlags & { name?: string; type?: string }) => {
      const source = resolve(path);
      const { size } = await stat(source);
      const fileName = flags.name ?? basename(source);
      const bar = progress(`upload ${fileName}`, size);
      const stream = createReadStream(source).pipe(bar.counter);
      try {
        const file = await connect(flags).uploadDeploymentFile({
          deploymentId,
          fileName,
          fileSize: size,
          mimeType: flags.type ?? mimeTypeOf(fileName),
          body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
        });
        bar.stop();
        console.log(`${file.id}  ${file.storagePath} (${file.fileSize} bytes)`);
      } catch (error) {
        bar.stop();
        throw error;
      }
    });

  withConnection(files.command('download <fileId> [dest]'))
    .description('Download a file (default destination: its name in the current folder)')
    .action(async (fileId: string, dest: string | undefined, flags: ConnectionFlags) => {
      const { downloadUrl } = await connect(flags).fileDownloadUrl(fileId);
      const res = await fetch(downloadUrl);
      if (!res.ok || !res.body) throw new Error(`Download failed: HTTP ${res.status}`);
      const target = resolve(dest ?? decodeURIComponent(basename(new URL(downloadUrl).pathname)));
      const temp = `${target}.satchel-part`;
      const bar = progress(`download ${basename(target)}`, Number(res.headers.get('content-length') ?? 0));
      try {
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), bar.counter, createWriteStream(temp));
        await rename(temp, target);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      } finally {
        bar.stop();
      }
      console.log(target);
    });

  withConnection(files.command('sync <deploymentId> <storagePath...>'))
    .description('Copy stored files into the running sandbox’s Desktop (a bare file name means deployments/<id>/<name>)')
    .action(async (deploymentId: string, paths: string[], flags: ConnectionFlags) => {
      const storagePaths = paths.map((p) => (p.startsWith('deployments/') ? p : `deployments/${deploymentId}/${p}`));
      const result = await connect(flags).syncFilesToSandbox(deploymentId, storagePaths);
      for (const f of result.syncedFiles) console.log(`synced  ${f.fileName} (${f.fileSize} bytes)`);
      reportFailures(result.failedFiles);
      console.log(result.message);
    });

  withConnection(files.command('pull <deploymentId> <fileName...>'))
    .description('Copy files from the sandbox’s Desktop into storage and register them')
    .action(async (deploymentId: string, fileNames: string[], flags: ConnectionFlags) => {
      const result = await connect(flags).pullFilesFromSandbox(deploymentId, fileNames);
      for (const f of result.pulledFiles) console.log(`pulled  ${f.fileId}  ${f.storagePath} (${f.fileSize} bytes)`);
      reportFailures(result.failedFiles);
    });
}
