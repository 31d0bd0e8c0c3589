/** `npm run bench -- <name>` runs bench/<name>.ts, which prints its figures. */
const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: npm run bench -- <name>   (a file under bench/)');
  process.exit(2);
}
import(`./${name}`).catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
