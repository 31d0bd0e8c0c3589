import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES } from '../lambdas/routes';
import { renderEvents } from './sample-events';

/** `npm run events`: writes events/<handler>.json for every route and removes the files of routes that are gone. */
const root = join(__dirname, '..');
mkdirSync(join(root, 'events'), { recursive: true });
const files = renderEvents(ROUTES);
for (const [file, content] of files) writeFileSync(join(root, file), content);
for (const name of readdirSync(join(root, 'events'))) {
  if (name.endsWith('.json') && !files.has(`events/${name}`)) {
    rmSync(join(root, 'events', name));
    console.log(`removed events/${name} (no such route)`);
  }
}
console.log(`wrote ${files.size} events to events/`);
