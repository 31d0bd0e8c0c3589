import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from '../../kit/aws';
import { config } from '../../kit/config';

/** Where the bucket's objects are: scheme, host and the path every key follows. */
export interface BucketAddress {
  protocol: string;
  hostname: string;
  port?: number;
  /** `/` (virtual-hosted, AWS) or `/<bucket>/` (path style, local). */
  pathPrefix: string;
}

let resolved: Promise<BucketAddress> | undefined;

/**
 * The bucket as the functions reach it (S3's endpoint in AWS, SATCHEL_S3_ENDPOINT locally), from
 * the SDK's endpoint rules, resolved once: running them per request costs more than the request.
 */
export function bucketAddress(): Promise<BucketAddress> {
  resolved ??= (async () => {
    const probeKey = 'probe';
    const probe = new URL(
      await getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: config.bucketName, Key: probeKey }), { expiresIn: 60 }),
    );
    return {
      protocol: probe.protocol,
      hostname: probe.hostname,
      ...(probe.port ? { port: Number(probe.port) } : {}),
      pathPrefix: probe.pathname.slice(0, -probeKey.length),
    };
  })().catch((error) => {
    resolved = undefined;
    throw error;
  });
  return resolved;
}

/** The Host header of an address. */
export const hostOf = (a: Pick<BucketAddress, 'hostname' | 'port'>): string => (a.port ? `${a.hostname}:${a.port}` : a.hostname);

/** S3's key encoding (the SDK's extendedEncodeURIComponent per segment; slashes kept). */
export const encodeKey = (key: string): string =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
