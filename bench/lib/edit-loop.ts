// The trainee's edit loop: edit one file of a two-service app and run `spin up` until the page
// shows the change, beside `docker-compose up -d --build` and a wait for the same page, in the
// same rounds; the moment the page first shows the edit (watched while the command runs); and
// the same with nothing changed. Both apps are already up (the fixture in edit-loop-probe.ts);
// every spin run also checks that only the edited service was recreated.

import {existsSync} from 'node:fs';

import {BUSYBOX} from '../../test/helpers/docker.ts';
import {PROBE_FILE, type EditLoopState} from './edit-loop-probe.ts';
import {launchFixture} from './fixture.ts';
import {findOnPath} from './measure.ts';
import type {Benchmark, Command} from './types.ts';

function probe(tool: 'spin' | 'compose', dir: string, mode: 'edit' | 'same' | 'first', label: string): Command {
  return {tool: tool === 'spin' ? 'spin' : 'docker-compose', label, argv: [process.execPath, PROBE_FILE, tool, dir, mode], measuresItself: true};
}

export const editLoop: Benchmark = {
  name: 'edit-loop',
  summary: 'edit one file of a two-service app, `spin up` until the page shows it vs `docker-compose up -d --build` + waiting for the page',
  defaultRuns: 5,
  cases: (ctx) => {
    const missing = !findOnPath('docker-compose') ? '"docker-compose" is not installed (not found on PATH)' : !existsSync(BUSYBOX) ? `no static busybox at ${BUSYBOX} (set SPIN_TEST_BUSYBOX)` : undefined;
    if (missing) {
      const skipped = (tool: 'spin' | 'compose', label: string): Command => ({tool: tool === 'spin' ? 'spin' : 'docker-compose', label, argv: [], missing});
      return [{name: 'edit one file', commands: [skipped('spin', 'spin up'), skipped('compose', 'docker-compose up -d --build')]}];
    }
    const {dir} = launchFixture<EditLoopState>(ctx, {
      what: 'the edit-loop fixture',
      file: PROBE_FILE,
      hint: 'check that the Docker engine runs (`docker info`), docker-compose works and the CLI is built (`npm run build`)',
    });
    return [
      {
        name: 'edit one file',
        commands: [
          probe('spin', dir, 'edit', 'edit web page, spin up, page shows it (only web recreated)'),
          probe('compose', dir, 'edit', 'edit web page, docker-compose up -d --build, page shows it'),
        ],
        target: {kind: 'ratio-at-most', peer: 'docker-compose', ratio: 1.2, text: "at most 1.2x docker-compose's time, only the edited service recreated"},
      },
      {
        // spin up waits until the new replica is healthy, docker-compose up -d does not: this row
        // shows when the edit is visible, before spin up has confirmed the replica healthy.
        name: 'edit one file, page first shows it',
        commands: [
          probe('spin', dir, 'first', 'edit web page, spin up, page watched while it runs'),
          probe('compose', dir, 'first', 'edit web page, docker-compose up -d --build, page watched while it runs'),
        ],
      },
      {
        name: 'no change',
        commands: [probe('spin', dir, 'same', 'spin up, nothing changed (nothing recreated)'), probe('compose', dir, 'same', 'docker-compose up -d --build, nothing changed')],
      },
    ];
  },
};
