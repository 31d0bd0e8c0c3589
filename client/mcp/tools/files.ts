import * as z from 'zod';
import * as contracts from '../../../lambdas/contracts/files';
import { READ_ONLY, tool, WRITES } from '../tool';

/** Deployment files (seed 004): files kept for a deployment, copied into and out of its sandbox's Desktop. */

const deploymentId = contracts.syncFiles.params.shape.id.describe('The deployment (dep_…)');
const failures = (failed: { file: string; code: string; reason: string }[]) =>
  failed.map((f) => `\n- ${f.file}: ${f.code} ${f.reason}`).join('');

export const FILE_TOOLS = [
  tool({
    name: 'list_files',
    title: 'List deployment files',
    description:
      "Lists the files stored for a deployment (name, size, type, storagePath, id). Use a file's storagePath with sync_files_to_sandbox " +
      "to put it on the sandbox's Desktop.",
    input: contracts.listFiles.query,
    output: contracts.listFiles.response,
    annotations: READ_ONLY,
    async run(args, context) {
      const files = await context.client.listDeploymentFiles(args.deploymentId);
      const lines = files.map((f) => `- ${f.fileName} (${f.fileSize} bytes, ${f.mimeType}) ${f.storagePath}`);
      return { data: { files }, text: [`${files.length} file${files.length === 1 ? '' : 's'}`, ...lines].join('\n') };
    },
  }),
  tool({
    name: 'sync_files_to_sandbox',
    title: "Copy files into a sandbox's Desktop",
    description:
      "Copies stored files (by storagePath, as list_files shows them) into the running sandbox's Desktop, overwriting files of the same " +
      `name. At most ${contracts.MAX_FILES_PER_TRANSFER} files per call; each file succeeds or fails on its own (failedFiles says why).`,
    input: z.object({ deploymentId, files: contracts.syncFiles.body.shape.files.describe('storagePath of each file') }),
    output: contracts.syncFiles.response,
    annotations: { ...WRITES, idempotentHint: true },
    async run(args, context) {
      // `success` (false when a file failed) is what failedFiles says
      const { message, success: _allSynced, ...data } = await context.client.syncFilesToSandbox(args.deploymentId, args.files);
      return { data, text: `${message}${failures(data.failedFiles)}` };
    },
  }),
  tool({
    name: 'pull_files_from_sandbox',
    title: "Save files from a sandbox's Desktop",
    description:
      "Copies files from the sandbox's Desktop (by file name, e.g. result.csv) into the deployment's stored files, so they outlive the " +
      `sandbox. At most ${contracts.MAX_FILES_PER_TRANSFER} files per call; each file succeeds or fails on its own (failedFiles says why).`,
    input: z.object({ deploymentId, files: contracts.pullFiles.body.shape.files.describe('File names on the Desktop') }),
    output: contracts.pullFiles.response,
    annotations: { ...WRITES, idempotentHint: true },
    async run(args, context) {
      const { success: _allPulled, ...data } = await context.client.pullFilesFromSandbox(args.deploymentId, args.files);
      const pulled = data.pulledFiles.map((f) => f.fileName).join(', ');
      return { data, text: `pulled ${data.pulledFiles.length} file(s)${pulled ? `: ${pulled}` : ''}${failures(data.failedFiles)}` };
    },
  }),
];
