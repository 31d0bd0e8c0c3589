import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * `import { z } from 'zod'` takes zod's namespace object as a value, which esbuild cannot tree-shake:
 * every function bundle then carries all of zod and its locales (~450 KiB, ~55 ms more init).
 * `import * as z from 'zod'` keeps only what is used (see docs/benchmarks.md).
 */
const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

it("code that runs in Lambda imports zod as `import * as z from 'zod'`", () => {
  const offenders = sources(join(ROOT, 'lambdas')).filter((file) =>
    /^import\s*\{[^}]*\bz\b[^}]*\}\s*from\s*['"]zod['"]/m.test(readFileSync(file, 'utf8')),
  );
  if (offenders.length) {
    throw new Error(
      `replace \`import { z } from 'zod'\` with \`import * as z from 'zod'\` in: ${offenders.map((f) => relative(ROOT, f)).join(', ')}`,
    );
  }
});
