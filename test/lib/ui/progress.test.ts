import assert from 'node:assert/strict';
import {afterEach, beforeEach, describe, mock, test} from 'node:test';

import type {DeployEvent} from '../../../src/lib/engine/types.ts';
import {createProgress, planLines} from '../../../src/lib/ui/progress.ts';
import {FakeTty, playBack} from '../../helpers/screen.ts';

const PLAN =
  'api: recreate (configuration changed; start-first (the default), 1 at a time, on failure rollback); ' +
  'web: recreate (configuration changed; stop-first (publishes host port 8080, which one container at a time can bind), 1 at a time, on failure rollback)';
const SPINNERS = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const FRAME_MS = 120;

const at = (type: DeployEvent['type'], message: string, service?: string, replica?: number): DeployEvent => ({
  type,
  time: '2025-06-01T12:00:00.000Z',
  message,
  ...(service ? {service} : {}),
  ...(replica ? {replica} : {}),
});

/** A deploy of two services: the events as the agent sends them, with frames drawn in between. */
const DEPLOY: DeployEvent[] = [
  at('plan', PLAN),
  at('create', 'created demo.portal.api.1_next', 'api', 1),
  at('start', 'started demo.portal.api.1_next', 'api', 1),
  at('waiting', 'waiting for api-1 to be healthy', 'api', 1),
  at('healthy', 'api-1 is healthy', 'api', 1),
  at('stop', 'stopping demo.portal.web.1', 'web', 1),
  at('create', 'created demo.portal.web.1', 'web', 1),
  at('start', 'started demo.portal.web.1', 'web', 1),
  at('waiting', 'waiting for "web" to be healthy', 'web'),
  at('running', 'web-1 is running (no healthcheck)', 'web', 1),
];

/** How a terminal of that width shows a line written once: wrapped. */
function wrapped(line: string, columns: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < line.length; i += columns) out.push(line.slice(i, i + columns).trimEnd());
  return out;
}

describe('deploy progress on a terminal', () => {
  beforeEach(() => mock.timers.enable({apis: ['setInterval']}));
  afterEach(() => mock.timers.reset());

  function play(events: DeployEvent[], columns: number, options: {color?: boolean; frames?: number} = {}) {
    const tty = new FakeTty(columns, 40);
    const progress = createProgress(tty, {tty: true, color: options.color ?? false});
    for (const e of events) {
      progress.event(e);
      // The spinner turns several times between two events.
      mock.timers.tick(FRAME_MS * (options.frames ?? 8));
    }
    progress.done();
    return tty;
  }

  for (const columns of [120, 60]) {
    test(`${columns} columns: the plan once, one final line per service, no fragment, no spinner`, () => {
      const tty = play(DEPLOY, columns);
      assert.deepEqual(tty.screen(), [
        ...planLines(PLAN).flatMap((l) => wrapped(l, columns)),
        `✔ api  api-1 is healthy`,
        `✔ web  web-1 is running (no healthcheck)`,
      ]);
      assert.doesNotMatch(tty.output.slice(tty.output.lastIndexOf('\u001B[')), SPINNERS, 'the last frame has no spinner');
    });
  }

  test('live lines are cut to the width with an ellipsis, so the redraw lands on them', () => {
    const long = at('waiting', `waiting for ${'x'.repeat(100)} to be healthy`, 'web', 1);
    const tty = play([long], 40, {frames: 30});
    assert.deepEqual(tty.screen(), [`• web  waiting for ${'x'.repeat(19)}…`]);
    // Every frame redraws the one line in place: each write after the first moves up one line.
    const redraws = tty.writes.slice(1);
    assert.ok(redraws.length >= 30, `${redraws.length} frames`);
    for (const w of redraws) assert.match(w, /^\u001B\[1F\u001B\[0J[^\n]*\n$/);
    for (const w of tty.writes) for (const line of w.replace(/\u001B\[[0-9;]*[A-Za-z]/g, '').split('\n')) assert.ok(line.length < 40, `"${line}" fits in 40 columns`);
  });

  test('colors do not count in the width', () => {
    const tty = play(DEPLOY, 60, {color: true});
    assert.deepEqual(tty.screen(), play(DEPLOY, 60).screen());
    assert.match(tty.output, /\u001B\[32m✔\u001B\[39m/);
  });

  test('a rollback leaves the failure on screen and shows the way back below it', () => {
    const tty = play(
      [
        at('plan', 'web: recreate (image changed; stop-first, 1 at a time, on failure rollback)'),
        at('create', 'created demo.portal.web.1', 'web', 1),
        at('failed', 'web replica 1 keeps restarting: it exited with code 3 and the engine restarted it', 'web', 1),
        at('log', 'rolling back to revision 6'),
        at('plan', 'web: recreate (image changed; stop-first, 1 at a time, on failure rollback)'),
        at('create', 'created demo.portal.web.1', 'web', 1),
        at('healthy', 'web-1 is healthy', 'web', 1),
      ],
      120,
    );
    assert.deepEqual(tty.screen(), [
      'web: recreate (image changed; stop-first, 1 at a time, on failure rollback)',
      '✖ web  web replica 1 keeps restarting: it exited with code 3 and the engine restarted it',
      'rolling back to revision 6',
      'web: recreate (image changed; stop-first, 1 at a time, on failure rollback)',
      '✔ web  web-1 is healthy',
    ]);
  });

  test('a message during the rollout goes above the live lines, which go on below it', () => {
    const tty = play(
      [
        at('plan', 'web: recreate (image changed)'),
        at('stop', 'stopping demo.portal.web.1', 'web', 1),
        at('log', 'web-1 took 10 s to stop: its main process ignores SIGTERM'),
        at('create', 'created demo.portal.web.1', 'web', 1),
        at('healthy', 'web-1 is healthy', 'web', 1),
      ],
      80,
    );
    assert.deepEqual(tty.screen(), ['web: recreate (image changed)', 'web-1 took 10 s to stop: its main process ignores SIGTERM', '✔ web  web-1 is healthy']);
  });

  test('a block taller than the screen is cut, so the redraw never has to go above it', () => {
    const tty = new FakeTty(80, 6);
    const progress = createProgress(tty, {tty: true, color: false});
    for (let i = 1; i <= 10; i++) progress.event(at('start', `started s${i}-1`, `s${i}`, 1));
    mock.timers.tick(FRAME_MS * 5);
    progress.done();
    assert.deepEqual(tty.screen(), ['• s1   started s1-1', '• s2   started s2-1', '• s3   started s3-1', '• s4   started s4-1', '… and 6 more']);
  });

  test('a message about a replica names it once', () => {
    const tty = play([at('create', 'created demo.portal.web.2', 'web', 2), at('healthy', 'web-2 is healthy', 'web', 2)], 80);
    assert.deepEqual(tty.screen(), ['✔ web  web-2 is healthy']);
    const first = play([at('create', 'created demo.portal.web.2', 'web', 2)], 80);
    assert.deepEqual(first.screen(), ['• web  created demo.portal.web.2 (replica 2)']);
  });
});

describe('deploy progress when piped', () => {
  test('one plain line per event, no escape codes', () => {
    const lines: string[] = [];
    const progress = createProgress({write: (s: string) => lines.push(s) > 0}, {tty: false, color: false});
    for (const e of DEPLOY.slice(0, 3)) progress.event(e);
    progress.done();
    assert.deepEqual(lines, [
      `2025-06-01T12:00:00.000Z plan: ${PLAN}\n`,
      '2025-06-01T12:00:00.000Z api-1 create: created demo.portal.api.1_next\n',
      '2025-06-01T12:00:00.000Z api-1 start: started demo.portal.api.1_next\n',
    ]);
  });
});

describe('planLines', () => {
  test('splits between services, not inside their parentheses', () => {
    assert.deepEqual(planLines(PLAN), [
      'api: recreate (configuration changed; start-first (the default), 1 at a time, on failure rollback)',
      'web: recreate (configuration changed; stop-first (publishes host port 8080, which one container at a time can bind), 1 at a time, on failure rollback)',
    ]);
    assert.deepEqual(planLines('nothing to change'), ['nothing to change']);
  });
});

describe('the screen model', () => {
  test('a line wider than the screen wraps, and moving up one line does not reach its start', () => {
    assert.deepEqual(playBack('abcdefgh\n\u001B[1F\u001B[0Jxy\n', 5, 10), ['abcde', 'xy']);
  });
});
