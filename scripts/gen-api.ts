#!/usr/bin/env node
// Writes src/lib/api/schema.ts, the TypeScript types of schemas/agent-api.yaml (openapi-typescript),
// which the agent's routes and the CLI's client both use. The file is committed, so building needs
// neither the generator nor network; test/lib/api/schema.test.ts fails when it is stale.
// Run: `npm run gen:api`.

import {writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import openapiTS, {astToString, COMMENT_HEADER} from 'openapi-typescript';

export const API_YAML = new URL('../schemas/agent-api.yaml', import.meta.url);
export const API_TYPES = new URL('../src/lib/api/schema.ts', import.meta.url);

/** The generated module's text for the yaml as it is now. */
export async function generateApiTypes(): Promise<string> {
  const ast = await openapiTS(API_YAML, {
    // Request fields with a default are optional for the client; the agent applies the default.
    defaultNonNullable: false,
    // `type: object` without properties (the compose model) is any object, not an empty one.
    emptyObjectsUnknown: true,
    silent: true,
  });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(API_TYPES, await generateApiTypes());
  process.stdout.write(`wrote ${fileURLToPath(API_TYPES)}\n`);
}
