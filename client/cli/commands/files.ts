import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { mimeTypeOf } from '../../../lambdas/shared/mime-types';
import type { FailedFile } from '../../sdk/files';
import { connect, withConnection, type ConnectionFlags } from '../connection';
import { formatBytes, plural } from '../progress';
import { counter, oneFile } from '../transfer';

/** Where a download goes, as `cp` decides it: an existing folder (or a path ending in /) gets the file inside it. */
async function destination(dest: string | undefined, name: string): Promise<string> {
  if (dest === undefined) return resolve(name);
  const target = resolve(dest);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) return join(target, name);
  if (dest.endsWith('/') || dest.endsWith(sep)) throw new Error(`no folder ${dest}: create it first, or name the file to write`);
  return target;
}

/** Prints what failed, one line each, and ends with a one-line summary and a non-zero exit. */
function failIfAny(failed: FailedFile[], total: number, verb: string): void {
  for (const f of failed) console.error(`failed  ${f.file}: ${f.reason} (${f.code})`);
  if (failed.length)
    throw new Error(`${failed.length} of ${plural(total, 'file')} could not be ${verb}: ${failed.map((f) => f.file).join(', ')}`);
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
      const info = await stat(source);
      if (info.isDirectory())
        throw new Error(`${path} is a folder: upload its files one by one (satchel files upload ${deploymentId} <file>)`);
      const client = connect(flags);
      const fileName = flags.name ?? basename(source);
      const progress = oneFile('upload', info.size);
      try {
        const file = await client.uploadDeploymentFile({
          deploymentId,
          fileName,
          fileSize: info.size,
          mimeType: flags.type ?? mimeTypeOf(fileName),
          body: Readable.toWeb(createReadStream(source).pipe(counter(progress, fileName))) as ReadableStream<Uint8Array>,
        });
        progress.done(fileName, info.size);
        progress.stop();
        console.log(`${file.id}  ${file.storagePath} (${formatBytes(file.fileSize)})`);
      } catch (error) {
        progress.stop();
        throw error;
      }
    });

  withConnection(files.command('download <fileId> [dest]'))
    .description('Download a file: to its own name here, to [dest], or into [dest] when that is a folder (as cp does)')
    .action(async (fileId: string, dest: string | undefined, flags: ConnectionFlags) => {
      const { downloadUrl } = await connect(flags).fileDownloadUrl(fileId);
      const name = decodeURIComponent(basename(new URL(downloadUrl).pathname));
      const target = await destination(dest, name);
      const res = await fetch(downloadUrl);
      if (!res.ok || !res.body) throw new Error(`the download failed (storage answered HTTP ${res.status}); try again`);
      const length = res.headers.get('content-length');
      const temp = `${target}.satchel-part`;
      const progress = oneFile('download', length === null ? undefined : Number(length));
      try {
        await pipeline(
          Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
          counter(progress, basename(target)),
          createWriteStream(temp),
        );
        await rename(temp, target);
        progress.done(basename(target), (await stat(target)).size);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      } finally {
        progress.stop();
      }
      console.log(target);
    });

  withConnection(files.command('sync <deploymentId> <storagePath...>'))
    .description('Copy stored files into the running sandbox’s Desktop (a bare file name means deployments/<id>/<name>)')
    .action(async (deploymentId: string, paths: string[], flags: ConnectionFlags) => {
      const storagePaths = paths.map((p) => (p.startsWith('deployments/') ? p : `deployments/${deploymentId}/${p}`));
      const result = await connect(flags).syncFilesToSandbox(deploymentId, storagePaths);
      for (const f of result.syncedFiles) console.log(`synced  ${f.fileName} (${formatBytes(f.fileSize)})`);
      console.log(result.message);
      failIfAny(result.failedFiles, storagePaths.length, 'copied to the Desktop');
    });

  withConnection(files.command('pull <deploymentId> <fileName...>'))
    .description('Copy files from the sandbox’s Desktop into storage and register them')
    .action(async (deploymentId: string, fileNames: string[], flags: ConnectionFlags) => {
      const result = await connect(flags).pullFilesFromSandbox(deploymentId, fileNames);
      for (const f of result.pulledFiles) console.log(`pulled  ${f.fileId}  ${f.storagePath} (${formatBytes(f.fileSize)})`);
      failIfAny(result.failedFiles, fileNames.length, 'pulled from the Desktop');
    });
}
