// The committed types are what the generator makes of schemas/agent-api.yaml now: a change to the
// yaml without `npm run gen:api` (or an edit of the generated file) fails here, not in production.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';

import {API_TYPES, generateApiTypes} from '../../../scripts/gen-api.ts';

test('src/lib/api/schema.ts is generated from schemas/agent-api.yaml as it is now', async () => {
  const committed = readFileSync(API_TYPES, 'utf8');
  assert.ok(committed === (await generateApiTypes()), 'src/lib/api/schema.ts is stale: run `npm run gen:api` and commit the result');
});
