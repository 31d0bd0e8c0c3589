import type * as z from 'zod';
import type { deploymentSchema, deploymentStatus, fileRecordSchema } from '../../lambdas/contracts/files';
import type { SatchelHttp } from './http';
import { putPresigned, type UploadBody } from './presigned';

/**
 * Deployment files and sandboxes (seed 004): envelope `{ success, data }`, unwrapped here.
 * Method names say "deployment" or "sandbox" so they cannot clash with the workspace-file methods of other surfaces.
 */

export type DeploymentStatus = z.output<typeof deploymentStatus>;
export type Deployment = z.output<typeof deploymentSchema>;
export type DeploymentFile = z.output<typeof fileRecordSchema>;

export interface UploadDeclaration {
  deploymentId: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
}

export interface PresignedUpload {
  uploadUrl: string;
  storagePath: string;
  expiresAt: string;
  /** Send exactly these headers with the PUT: they are signed. */
  headers: Record<string, string>;
}

export interface FailedFile {
  file: string;
  code: string;
  reason: string;
}

/** `success` is false (HTTP 207) when any file failed; `failedFiles` says why. */
export interface SyncResult {
  success: boolean;
  message: string;
  syncedFiles: { storagePath: string; fileName: string; fileSize: number }[];
  failedFiles: FailedFile[];
}

export interface PullResult {
  success: boolean;
  pulledFiles: { fileName: string; storagePath: string; fileSize: number; fileId: string }[];
  failedFiles: FailedFile[];
}

/** Bytes to upload: anything fetch accepts as a body. A stream needs its size declared. */
export type { UploadBody };

type Envelope<T> = { success: true; data: T };
/** Sync and pull: `success: false` with status 207 when some or all files failed. */
type TransferEnvelope<T> = { success: boolean; message?: string; data: T };

export function filesMethods(http: SatchelHttp) {
  const data = <T>(method: string, path: string, options: Parameters<SatchelHttp['request']>[2] = {}) =>
    http.request<Envelope<T>>(method, path, options).then((r) => r.data);
  const deployment = (id: string) => `/api/deployments/${encodeURIComponent(id)}`;

  const methods = {
    createDeployment: (input: { name: string; durationMinutes?: number }) =>
      data<{ deployment: Deployment }>('POST', '/api/deployments', { body: input }).then((d) => d.deployment),
    listDeployments: () => data<{ deployments: Deployment[] }>('GET', '/api/deployments').then((d) => d.deployments),
    getDeployment: (id: string) => data<{ deployment: Deployment }>('GET', deployment(id)).then((d) => d.deployment),
    stopDeployment: (id: string) =>
      data<{ deployment: Deployment }>('POST', `${deployment(id)}/stop`, { idempotent: true }).then((d) => d.deployment),

    listDeploymentFiles: (deploymentId: string) =>
      data<{ files: DeploymentFile[] }>('GET', '/api/files', { query: { deploymentId } }).then((d) => d.files),
    presignFileUpload: (input: UploadDeclaration) => data<PresignedUpload>('POST', '/api/files/presign', { body: input, idempotent: true }),
    recordFileUpload: (input: UploadDeclaration & { storagePath: string }) =>
      data<{ file: DeploymentFile }>('POST', '/api/files/record', { body: input, idempotent: true }).then((d) => d.file),
    fileDownloadUrl: (fileId: string) =>
      data<{ downloadUrl: string; expiresAt: string }>('GET', '/api/files/download', { query: { fileId } }),

    /** Seed 004 puts `message` beside `data`; both are returned. */
    syncFilesToSandbox: async (deploymentId: string, storagePaths: string[]): Promise<SyncResult> => {
      const res = await http.request<TransferEnvelope<Omit<SyncResult, 'message' | 'success'>>>(
        'POST',
        `${deployment(deploymentId)}/files/sync`,
        {
          body: { files: storagePaths },
          idempotent: true,
        },
      );
      return { success: res.success, message: res.message ?? '', ...res.data };
    },
    pullFilesFromSandbox: async (deploymentId: string, fileNames: string[]): Promise<PullResult> => {
      const res = await http.request<TransferEnvelope<Omit<PullResult, 'success'>>>('POST', `${deployment(deploymentId)}/files/pull`, {
        body: { files: fileNames },
        idempotent: true,
      });
      return { success: res.success, ...res.data };
    },

    /** The two-step upload in one call: presign, PUT the bytes to S3, record. */
    uploadDeploymentFile: async (input: UploadDeclaration & { body: UploadBody }): Promise<DeploymentFile> => {
      const { body, ...declaration } = input;
      const presigned = await methods.presignFileUpload(declaration);
      await putPresigned(http.options.fetch ?? fetch, presigned.uploadUrl, presigned.headers, body, declaration.fileName);
      return methods.recordFileUpload({ ...declaration, storagePath: presigned.storagePath });
    },
  };
  return methods;
}
