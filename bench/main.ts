/** `npm run bench -- <name>`: runs bench/<name>.ts, which prints its figures. */
const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: npm run bench -- <name>   (a file bench/<name>.ts)');
  process.exit(1);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import(`./${name}`).catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
