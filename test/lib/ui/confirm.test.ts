import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {describe, test} from 'node:test';

import {ExitCode} from '../../../src/lib/errors.ts';
import {confirmDestructive} from '../../../src/lib/ui/confirm.ts';

function ask(answer: string | undefined, overrides: {yes?: boolean; interactive?: boolean} = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  let asked = '';
  output.on('data', (d) => (asked += d));
  if (answer !== undefined) input.end(answer);
  const done = confirmDestructive({
    question: 'Remove stack web in project demo?',
    subject: 'stack "web" in project "demo"',
    command: 'spin rm --stack web',
    yes: overrides.yes ?? false,
    interactive: overrides.interactive ?? true,
    input,
    output,
  });
  return {done, asked: () => asked};
}

describe('confirmDestructive', () => {
  test('asks on a terminal; y or yes goes ahead', async () => {
    for (const answer of ['y\n', 'YES\n', ' yes ']) {
      const q = ask(answer);
      await q.done;
      assert.equal(q.asked(), 'Remove stack web in project demo? [y/N] ');
    }
  });

  test('anything else, or end of input, cancels with exit 1', async () => {
    for (const answer of ['\n', 'n\n', 'yep\n', '']) {
      await assert.rejects(ask(answer).done, (err: {exitCode: number; message: string}) => {
        assert.equal(err.exitCode, ExitCode.failed);
        assert.equal(err.message, 'cancelled: stack "web" in project "demo" was not removed');
        return true;
      });
    }
  });

  test('--yes never asks', async () => {
    const q = ask(undefined, {yes: true, interactive: false});
    await q.done;
    assert.equal(q.asked(), '');
  });

  test('without a terminal and without --yes: usage error with the command to run', async () => {
    const q = ask(undefined, {interactive: false});
    await assert.rejects(q.done, (err: {exitCode: number; message: string; hint: string}) => {
      assert.equal(err.exitCode, ExitCode.usage);
      assert.equal(err.message, 'removing stack "web" in project "demo" needs confirmation, and there is no terminal to ask');
      assert.equal(err.hint, 'pass --yes to confirm: `spin rm --stack web --yes`');
      return true;
    });
    assert.equal(q.asked(), '');
  });
});
