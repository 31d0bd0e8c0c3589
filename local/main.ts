import './powertools-env';
import { JAVA_HELP, javaAvailable } from './dynamodb-local';
import { startLocalSatchel } from './runtime';
import { satchelHome } from './runtime-records';

/** `npm start`: Satchel on this machine, against DynamoDB Local and a local S3 emulator. */
async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (!javaAvailable()) {
    console.error(JAVA_HELP);
    process.exit(1);
  }
  const home = satchelHome();
  const port = Number(process.env.PORT ?? 3000);
  const satchel = await startLocalSatchel({
    home,
    port,
    apiKey: process.env.SATCHEL_API_KEY,
    onStep: (step) => console.log(`… ${step}`),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the emulators…`);
    await satchel.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  console.log(`
Satchel is running at ${satchel.url}
  state:    ${home}
  API docs: ${satchel.url}/docs
  API key:  ${satchel.apiKey}${satchel.keyCreated ? '   (new key for tenant "local", kept in the state folder for the next start)' : ''}

Try:  curl -H "Authorization: Bearer ${satchel.apiKey}" ${satchel.url}/api/workspaces
Stop with Ctrl-C.`);
}

main().catch((error: Error) => {
  console.error(`Satchel could not start: ${error.message}`);
  if (/EADDRINUSE/.test(error.message)) console.error('Another process uses that port: set PORT to a free one, e.g. PORT=3001 npm start');
  process.exit(1);
});
