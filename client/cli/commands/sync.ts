import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { agentFrom, withAgent } from '../agent';
import { connect, withConnection, type ConnectionFlags } from '../connection';
import type { RestoreMode } from '../../sdk/sync';
import { deletesNeedForce, pull, push, status } from '../sync/engine';
import { createProgress, formatBytes, plural } from '../progress';

interface SyncFlags extends ConnectionFlags {
  concurrency: string;
}

interface SafetyFlags {
  delete?: boolean;
  force?: boolean;
  dryRun?: boolean;
  overwrite?: boolean;
}

const safety = (flags: SafetyFlags) => ({ delete: flags.delete, force: flags.force, dryRun: flags.dryRun, overwrite: flags.overwrite });

const forceNote = (removing: number, total: number, flags: SafetyFlags) =>
  !flags.force && deletesNeedForce(removing, total) ? ' (the deletes need --force)' : '';

function connectSync(flags: SyncFlags, command: Command) {
  const client = connect(flags);
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new Error('--concurrency must be a whole number from 1 to 256');
  return { client, options: { agentId: agentFrom(command), concurrency, warn: (m: string) => console.error(`warning: ${m}`) } };
}

const withSyncOptions = (command: Command) =>
  withAgent(withConnection(command), 'agent whose workspace this is').option('--concurrency <n>', 'transfers in flight', '16');

/** `satchel sync push|pull|status <dir>`: back up and restore an agent's workspace. */
export function registerSync(program: Command): void {
  const sync = program.command('sync').description("Back up and restore an agent's workspace (files and saved sessions)");

  withSyncOptions(sync.command('push <dir>'))
    .description('Upload new and changed files (ignores .git/, node_modules/ and .satchelignore patterns)')
    .option('--delete', 'also remove backup files this folder synced and no longer has')
    .option('--force', 'with --delete: remove even every file of the backup, or more than a quarter of it')
    .option('--dry-run', 'show what would be uploaded and removed; change nothing')
    .option('--overwrite', "replace the backup's version even where it changed since this folder last synced")
    .action(async (dir: string, flags: SyncFlags & SafetyFlags, command: Command) => {
      const { client, options } = connectSync(flags, command);
      const result = await push(client, resolve(dir), {
        ...options,
        ...safety(flags),
        progress: createProgress({
          verb: 'upload',
          resumeHint: `run \`satchel sync push ${dir}\` again: finished uploads are not sent again`,
        }),
      });
      for (const h of result.held) console.error(`held    ${JSON.stringify(h.path)}: ${h.reason}`);
      if (flags.dryRun) {
        for (const f of result.upload) console.log(`push    ${f.path} (${formatBytes(f.size)})`);
        for (const p of result.remove) console.log(`delete  ${p}`);
        console.log(
          `would push ${plural(result.upload.length, 'file')}, remove ${result.remove.length}; ${result.unchanged} unchanged${forceNote(result.remove.length, result.backupFiles, flags)}`,
        );
        return;
      }
      console.log(
        `pushed ${plural(result.upload.length - result.conflicts.length, 'file')} (${formatBytes(result.uploadedBytes)}), ` +
          (result.resumed ? `${result.resumed} uploaded by the interrupted push, ` : '') +
          `${result.unchanged} unchanged, ${result.remove.length} removed, ${result.skipped.length} skipped` +
          (result.held.length ? `, ${result.held.length} held` : ''),
      );
      if (result.conflicts.length)
        throw new Error(
          `${plural(result.conflicts.length, 'file was', 'files were')} not pushed (see the warnings above): ` +
            `${result.conflicts.slice(0, 5).join(', ')}${result.conflicts.length > 5 ? ', …' : ''}; run the push again`,
        );
      if (result.held.length)
        throw new Error(
          `${plural(result.held.length, 'file was', 'files were')} left in the backup as it holds them: changed or added there since this folder last synced (listed above)`,
        );
    });

  withSyncOptions(sync.command('pull <dir>'))
    .description('Download what differs locally, verify every hash, write atomically')
    .addOption(new Option('--mode <mode>', 'what to restore').choices(['full', 'active', 'memory']).default('full'))
    .option('--delete', 'also remove local files this folder synced that the backup no longer has (full restores only)')
    .option('--force', 'with --delete: remove even every local file, or more than a quarter of them')
    .option('--dry-run', 'show what would be downloaded and removed; change nothing')
    .option('--overwrite', 'replace local files even where they changed since this folder last synced')
    .action(async (dir: string, flags: SyncFlags & SafetyFlags & { mode: RestoreMode }, command: Command) => {
      const { client, options } = connectSync(flags, command);
      const result = await pull(client, resolve(dir), {
        ...options,
        ...safety(flags),
        mode: flags.mode,
        progress: createProgress({
          verb: 'download',
          resumeHint: `run \`satchel sync pull ${dir}\` again: files already restored are not downloaded again`,
        }),
      });
      for (const r of result.refused) console.error(`refused ${JSON.stringify(r.path)}: ${r.reason}`);
      for (const k of result.kept) console.error(`kept    ${JSON.stringify(k.path)}: ${k.reason}`);
      const ignoredNote = result.ignored.length ? `, ${result.ignored.length} not written (ignored here by .satchelignore)` : '';
      if (flags.dryRun) {
        for (const p of result.wouldDownload) console.log(`pull    ${p}`);
        for (const p of result.removed) console.log(`delete  ${p}`);
        console.log(
          `would pull ${plural(result.wouldDownload.length, 'file')}, remove ${result.removed.length}; ${result.unchanged} already up to date${ignoredNote}`,
        );
      } else {
        console.log(
          `pulled ${plural(result.downloaded, 'file')} (${formatBytes(result.downloadedBytes)}), ${result.unchanged} already up to date` +
            (flags.delete ? `, ${result.removed.length} removed` : '') +
            ignoredNote,
        );
      }
      const notRemoved = flags.delete && !result.removed.length ? '; nothing was removed' : '';
      if (result.refused.length) {
        throw new Error(
          `refused ${result.refused.length} entries of the server's answer (listed above)${notRemoved}` +
            ': the rest was restored. Check the server address (--url) and the backup',
        );
      }
      if (result.kept.length) {
        throw new Error(
          `${plural(result.kept.length, 'local file or folder was kept as it is', 'local files or folders were kept as they are')} (listed above)${notRemoved}: the rest was restored`,
        );
      }
    });

  withSyncOptions(sync.command('status <dir>'))
    .description('Show what push and pull would move')
    .option('--delete', 'include remote files that push --delete would remove')
    .action(async (dir: string, flags: SyncFlags & { delete?: boolean }, command: Command) => {
      const { client, options } = connectSync(flags, command);
      const s = await status(client, resolve(dir), { ...options, delete: flags.delete });
      for (const f of s.upload) console.log(`push    ${f.path} (${formatBytes(f.size)})`);
      for (const p of s.remove) console.log(`delete  ${p}`);
      for (const p of s.download) console.log(`pull    ${p}`);
      for (const h of s.held) console.log(`held    ${h.path}: ${h.reason}`);
      for (const k of s.kept) console.log(`kept    ${k.path}: ${k.reason}`);
      for (const k of s.skipped) console.log(`skip    ${k.path}: ${k.reason}`);
      console.log(
        `${s.upload.length} to push, ${s.remove.length} to delete, ${s.download.length} to pull, ${s.unchanged} unchanged` +
          (s.held.length || s.kept.length ? `; ${s.held.length} held in the backup, ${s.kept.length} kept here` : ''),
      );
    });
}
