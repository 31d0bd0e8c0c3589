import { resolve } from 'node:path';
import * as z from 'zod';
import * as contracts from '../../../lambdas/contracts/sync';
import { pull, push, status } from '../../cli/sync/engine';
import { READ_ONLY, tool, WRITES, type ToolContext } from '../tool';

/**
 * Workspace sync (seed 000) of a folder on the agent's disk, through the CLI's sync engine and its
 * safety rules (ignored files, hash checks, atomic writes, delete only on a full restore). Only over
 * stdio: the folder is on the machine running `satchel mcp`.
 */

/** Listed paths per answer: a large workspace would otherwise flood the model's context. */
const LISTED = 100;
const listed = (paths: string[]) => ({
  count: paths.length,
  paths: paths.slice(0, LISTED),
  ...(paths.length > LISTED ? { truncated: true } : {}),
});

const dir = z.string().min(1).max(4096).describe('The folder: absolute, or relative to the directory `satchel mcp` runs in');
const agentId = contracts.presign.query.shape.agentId.describe(
  'Agent whose backup this is (optional with an agent-bound key or SATCHEL_AGENT)',
);
const options = (args: { agentId?: string }, context: ToolContext) => ({ agentId: args.agentId ?? context.agent });
const IGNORED = "Ignores .git/, node_modules/ and the patterns of the folder's .satchelignore.";
const force = z
  .boolean()
  .optional()
  .describe('Remove even when the removals are every file or more than a quarter of them (check sync_status first)');
const overwrite = z
  .boolean()
  .optional()
  .describe(
    "Replace the other side's version even where it changed since this folder last synced (by default such files are left and listed)",
  );
const SAFETY =
  'A delete that would remove every file, or more than 10 files and over a quarter of them, is refused without force: true ' +
  '(nothing is removed; a mistyped folder must not empty a backup or a folder).';

/** The engine speaks the CLI's options; a model calls with arguments. */
const inToolTerms = (error: unknown): Error =>
  new Error(
    (error instanceof Error ? error.message : String(error))
      .replace(/--force/g, 'force: true')
      .replace(/--overwrite/g, 'overwrite: true')
      .replace(/--delete/g, 'delete: true')
      .replace(/--mode (\w+)/g, 'mode: "$1"')
      .replace(/list the deletes with --dry-run/g, 'list them with sync_status (delete: true)'),
  );
const withToolTerms = async <T>(work: Promise<T>): Promise<T> => {
  try {
    return await work;
  } catch (error) {
    throw inToolTerms(error);
  }
};

/** Files left as they are, with the reason in tool terms. */
const explained = (files: { path: string; reason: string }[]) =>
  files.slice(0, LISTED).map((f) => ({ ...f, reason: inToolTerms(f.reason).message }));

export const WORKSPACE_SYNC_TOOLS = [
  tool({
    name: 'sync_status',
    title: 'Workspace sync status',
    description:
      "Compares a local folder with the agent's workspace backup without changing anything: what sync_push would upload (and with " +
      `delete: true remove from the backup) and what sync_pull would download. ${IGNORED}`,
    input: z.object({ dir, agentId, delete: z.boolean().optional().describe('Also list backup files that are gone locally') }),
    annotations: READ_ONLY,
    async run(args, context) {
      const s = await withToolTerms(status(context.client, resolve(args.dir), { ...options(args, context), delete: args.delete }));
      const data = {
        dir: resolve(args.dir),
        push: listed(s.upload.map((f) => f.path)),
        delete: listed(s.remove),
        pull: listed(s.download),
        held: explained(s.held),
        kept: explained(s.kept),
        skipped: s.skipped.slice(0, LISTED),
        unchanged: s.unchanged,
      };
      return {
        data,
        text: `${s.upload.length} to push, ${s.remove.length} to delete, ${s.download.length} to pull, ${s.unchanged} unchanged`,
      };
    },
  }),
  tool({
    name: 'sync_push',
    title: 'Back up a folder',
    description:
      "Uploads the new and changed files of a local folder to the agent's workspace backup; every upload is checked (SHA-256 and size) " +
      `before the backup records it, and an interrupted push resumes. With delete: true, backup files this folder synced and no longer has are removed from the backup. Files changed or added in the backup since this folder last synced are left and listed in held (overwrite: true replaces or removes them). ${SAFETY} ${IGNORED}`,
    input: z.object({
      dir,
      agentId,
      delete: z.boolean().optional().describe('Also remove backup files this folder synced and no longer has'),
      force,
      overwrite,
    }),
    annotations: WRITES,
    async run(args, context) {
      const warnings: string[] = [];
      const r = await withToolTerms(
        push(context.client, resolve(args.dir), {
          ...options(args, context),
          delete: args.delete,
          force: args.force,
          overwrite: args.overwrite,
          warn: (m) => warnings.push(m),
        }),
      );
      if (r.conflicts.length)
        throw new Error(
          `${r.conflicts.length} uploads could not be confirmed (the files changed while uploading?): ${r.conflicts.slice(0, 5).join(', ')}; run sync_push again`,
        );
      const data = {
        dir: resolve(args.dir),
        pushed: listed(r.upload.map((f) => f.path)),
        uploadedBytes: r.uploadedBytes,
        resumed: r.resumed,
        removed: listed(r.remove),
        skipped: r.skipped.slice(0, LISTED),
        unchanged: r.unchanged,
        held: explained(r.held),
        warnings: warnings.slice(0, LISTED),
      };
      return {
        data,
        text:
          `pushed ${r.upload.length} file(s) (${r.uploadedBytes} bytes), ${r.unchanged} unchanged, ${r.remove.length} removed, ${r.skipped.length} skipped` +
          (r.held.length ? `, ${r.held.length} held: changed or added in the backup since this folder last synced (see held)` : ''),
      };
    },
  }),
  tool({
    name: 'sync_pull',
    title: 'Restore a folder',
    description:
      "Restores the agent's workspace backup into a local folder: downloads only files that differ, verifies every hash and writes each " +
      'file atomically; local files the backup lacks are kept, and so are local files changed since this folder last synced (listed ' +
      'in kept; overwrite: true replaces them). mode: "full" (everything, default), "memory" (memory files only) or ' +
      '"active" (memory files, recent sessions, recently changed files). delete: true (full mode only) also removes local files this ' +
      `folder synced that the backup no longer has. ${SAFETY} ${IGNORED}`,
    input: z.object({
      dir,
      agentId,
      mode: contracts.reconstruct.body.shape.mode,
      delete: z.boolean().optional().describe('Also remove local files this folder synced that the backup no longer has (full mode only)'),
      force,
      overwrite,
    }),
    annotations: { ...WRITES, destructiveHint: true },
    async run(args, context) {
      const r = await withToolTerms(
        pull(context.client, resolve(args.dir), {
          ...options(args, context),
          mode: args.mode,
          delete: args.delete,
          force: args.force,
          overwrite: args.overwrite,
        }),
      );
      const data = {
        dir: resolve(args.dir),
        downloaded: r.downloaded,
        downloadedBytes: r.downloadedBytes,
        unchanged: r.unchanged,
        removed: listed(r.removed),
        ignored: listed(r.ignored),
        refused: r.refused.slice(0, LISTED),
        kept: explained(r.kept),
      };
      const notWritten = [
        r.refused.length ? `${r.refused.length} entries of the server's answer refused (see refused)` : '',
        r.kept.length ? `${r.kept.length} backup files not restored: what is here in their place was kept (see kept)` : '',
      ].filter(Boolean);
      return {
        data,
        text:
          `pulled ${r.downloaded} file(s) (${r.downloadedBytes} bytes), ${r.unchanged} already up to date, ${r.removed.length} removed` +
          (notWritten.length ? `; ${notWritten.join('; ')}` : ''),
      };
    },
  }),
];
