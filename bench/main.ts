/** `npm run bench -- <name>`: runs bench/<name>.ts, which prints its figures. */
const name = process.argv[2];
if (!name || !/^[\w-]+$/.test(name)) {
  console.error('usage: npm run bench -- <name>   (a file bench/<name>.ts)');
  process.exit(1);
}
import(`./${name}`)
  .then((bench: { run(args: string[]): Promise<void> }) => bench.run(process.argv.slice(3)))
  .then(() => process.exit(0))
  .catch((error: Error) => {
    console.error(error);
    process.exit(1);
  });
