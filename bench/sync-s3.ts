import { createServer, request } from 'node:http';
import { LOCAL_BUCKET } from '../local/bootstrap';
import { freePort } from '../local/dynamodb-local';
import { startS3 } from '../local/emulators';

/**
 * Child process of bench/sync.ts: the S3 emulator behind a counting proxy, off the API's event
 * loop (S3 is a service of its own in AWS). Started with --openssl-legacy-provider: s3rver's
 * ListObjectsV2 continuation tokens use DES, which Node 20's OpenSSL 3 only offers as legacy,
 * so `aws s3 sync` over more than 1,000 objects fails without it.
 */
async function main(): Promise<void> {
  const directory = process.argv[2];
  const s3 = await startS3({ directory, bucket: LOCAL_BUCKET });
  const upstream = new URL(s3.endpoint);
  let requests = 0;
  const proxy = createServer((req, res) => {
    requests++;
    // forwarded unchanged, the Host header too: it is part of every signature
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  proxy.keepAliveTimeout = 65000;
  const port = await freePort();
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  process.on('message', async (message: string) => {
    if (message === 'counts') process.send?.({ requests });
    if (message === 'stop') {
      proxy.closeAllConnections();
      proxy.close();
      await s3.stop();
      process.exit(0);
    }
  });
  process.send?.({ url: `http://127.0.0.1:${port}`, emulatorUrl: s3.endpoint });
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
