// Jest transformer: TypeScript and ESM-only dependencies (middy) -> CommonJS, via esbuild.
const { transformSync } = require('esbuild');
const { createHash } = require('node:crypto');
const { version } = require('esbuild/package.json');

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256').update(version).update(filename).update(source).digest('hex');
  },
  process(source, filename) {
    const loader = filename.endsWith('.ts') ? 'ts' : 'js';
    const { code, map } = transformSync(source, {
      loader,
      format: 'cjs',
      target: 'node20',
      sourcemap: 'both',
      sourcefile: filename,
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
