import '../local/powertools-env';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts: a module that exports `run(args)` is
 * called with the arguments after the name; any other module runs when loaded.
 */
const [name, ...args] = process.argv.slice(2);
if (!name || !/^[\w-]+$/.test(name) || name === 'main' || !existsSync(join(__dirname, `${name}.ts`))) {
  console.error('usage: npm run bench -- <name> [args], where <name> is a file of bench/, e.g. cold-start');
  process.exit(2);
}
const bench = require(`./${name}`) as { run?: (args: string[]) => Promise<void> };
bench.run?.(args).catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
