#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx satchel` works from a checkout without a build step.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./main.ts');
