import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** `npm install` must run quietly: every dependency's install script is approved or denied in package.json. */
it('no install script waits for approval', () => {
  const out = execFileSync('npm', ['install-scripts', 'ls', '--json'], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ allowScripts: [] });
});
