import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {parseReplicas} from '../../../src/lib/client/scale.ts';
import {ExitCode, UsageError} from '../../../src/lib/errors.ts';

function usageError(args: string[], message: RegExp) {
  assert.throws(() => parseReplicas(args), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, ExitCode.usage);
    assert.match(err.message, message);
    assert.ok(err.hint);
    return true;
  });
}

describe('parseReplicas', () => {
  test('SERVICE=N pairs become the replicas map', () => {
    assert.deepEqual(parseReplicas(['web=3', 'worker=0', 'db=100']), {web: 3, worker: 0, db: 100});
  });

  test('a count that is not a whole number from 0 to 100 is a usage error quoting it', () => {
    usageError(['web=x'], /^replica count "x" for service "web" is not a whole number from 0 to 100$/);
    usageError(['web=-1'], /"-1"/);
    usageError(['web=101'], /"101"/);
    usageError(['web=1.5'], /"1\.5"/);
    usageError(['web='], /^replica count "" for service "web"/);
    usageError(['web=1e2'], /"1e2"/);
  });

  test('arguments that are not assignments are usage errors', () => {
    usageError(['web'], /^"web" is not of the form SERVICE=N$/);
    usageError(['=3'], /^"=3" is not of the form SERVICE=N$/);
    usageError([], /^no replica counts given$/);
  });

  test('a service given twice is refused', () => {
    usageError(['web=1', 'web=2'], /^service "web" is given twice$/);
  });

  test('a huge argument is quoted shortened', () => {
    assert.throws(() => parseReplicas(['x'.repeat(10_000)]), (err: Error) => err.message.length < 200);
  });
});
