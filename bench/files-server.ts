import { startServer } from '../local/server';

/** The API of the local runtime alone, in its own process, so `bench/files.ts` can measure its memory. */
startServer().then((server) => console.log(`READY ${server.url}`));
