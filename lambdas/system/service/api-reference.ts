import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { config } from '../../kit/config';
import { notFound } from '../../kit/errors';

/**
 * The interactive API reference: swagger-ui from the swagger-ui-dist package, served by the API
 * itself (no CDN). In AWS the stack copies these files into the function bundle and sets SWAGGER_UI_DIR.
 */
export const SWAGGER_UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
};

const assetDir = (): string => config.swaggerUiDir ?? dirname(require.resolve('swagger-ui-dist/package.json'));

const cache = new Map<string, string>();

export function readAsset(name: string): { body: string; contentType: string } {
  if (!Object.hasOwn(SWAGGER_UI_ASSETS, name))
    throw notFound(`No asset ${name}; the API reference serves ${Object.keys(SWAGGER_UI_ASSETS).join(', ')}`);
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(join(assetDir(), name), 'utf8');
    cache.set(name, body);
  }
  return { body, contentType: SWAGGER_UI_ASSETS[name] };
}

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Satchel API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <style>body { margin: 0 }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: '/openapi.json',
      dom_id: '#swagger-ui',
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: 'StandaloneLayout',
    });
  </script>
</body>
</html>
`;
