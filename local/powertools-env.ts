/**
 * Powertools' switches for everything that runs on this machine. Imported first by the local entry
 * points (`npm start`, `npm run bench`): Powertools reads them when its singletons are built, which
 * is as soon as any handler module is imported, before the runtime sets the rest of the local
 * environment. Without it every request printed a CloudWatch metrics (EMF) line.
 */
export const LOCAL_POWERTOOLS_ENV: Record<string, string> = {
  POWERTOOLS_SERVICE_NAME: 'satchel',
  POWERTOOLS_METRICS_NAMESPACE: 'Satchel',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};

for (const [name, value] of Object.entries(LOCAL_POWERTOOLS_ENV)) process.env[name] ??= value;
