// The error table the code uses is the one schemas/agent-api.yaml documents: the same codes, each
// with the same HTTP status and exit code, and every status an operation lists is one a code has.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';

import {parse} from 'yaml';

import {ERROR_CODES} from '../../../src/lib/api/error-codes.ts';

interface Doc {
  paths: Record<string, Record<string, {responses?: Record<string, {$ref?: string}>}>>;
  components: {schemas: {ErrorCode: {enum: string[]; 'x-spin-errors': Record<string, {status: number; exit: number}>}}};
}

const doc = parse(readFileSync(new URL('../../../schemas/agent-api.yaml', import.meta.url), 'utf8')) as Doc;
const documented = doc.components.schemas.ErrorCode;

describe('error codes: the table against the yaml', () => {
  test('the yaml lists each code once, and gives each a status and exit code', () => {
    assert.equal(new Set(documented.enum).size, documented.enum.length);
    assert.deepEqual(Object.keys(documented['x-spin-errors']).sort(), [...documented.enum].sort());
  });

  test('the table has exactly the documented codes, each with its status and exit code', () => {
    const table = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, {status, exit}]) => [code, {status, exit}]));
    const yaml = Object.fromEntries(Object.entries(documented['x-spin-errors']).map(([code, {status, exit}]) => [code, {status, exit}]));
    assert.deepEqual(table, yaml);
  });

  test('every error status an operation documents is the status of some code', () => {
    const statuses = new Set(Object.values(ERROR_CODES).map((e) => e.status));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          if (response.$ref !== '#/components/responses/Error') continue;
          assert.ok(statuses.has(Number(status)), `${method.toUpperCase()} ${path} documents ${status}, which no error code has`);
        }
      }
    }
  });
});
