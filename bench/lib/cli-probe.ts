// Deploys that time themselves (Command.measuresItself): each run starts from nothing and must
// end with nothing, and the teardown must not count, so the harness cannot time them from the
// outside. Prints the milliseconds alone on the last line of stdout.
//
//   node bench/lib/cli-probe.ts deploy-spin FIXTURE_DIR STACK
//     `spin deploy` from process start to its exit (the agent reports every service healthy),
//     then `spin rm --yes` (untimed).
//   node bench/lib/cli-probe.ts deploy-compose FIXTURE_DIR
//     `docker-compose up -d` from process start until the engine reports every container
//     healthy (polled every 50 ms), then `docker-compose down` (untimed).

import {setTimeout as sleep} from 'node:timers/promises';

import {COMPOSE_PROJECT_LABEL, SERVICES, readState, type FixtureState} from './agent-fixture.ts';
import {BIN, spinEnv} from './cli-remote.ts';
import {run, timed} from './process.ts';

const POLL_MS = 50;
const HEALTHY_TIMEOUT_MS = 120_000;



async function deploySpin(state: FixtureState, stack: string): Promise<number> {
  const env = spinEnv(state);
  const ms = await timed(() => run(process.execPath, [BIN, 'deploy', '-f', state.composeFile, '--stack', stack, '--timeout', '120s'], env));
  await run(process.execPath, [BIN, 'rm', '--yes', '--stack', stack], env);
  return ms;
}

async function deployCompose(state: FixtureState): Promise<number> {
  const {default: Docker} = await import('dockerode');
  const docker = new Docker();
  const compose = ['--compatibility', '-p', state.composeProject, '-f', state.composeFile];
  const healthy = async () => (await docker.listContainers({filters: {label: [`${COMPOSE_PROJECT_LABEL}=${state.composeProject}`], health: ['healthy']}})).length;
  const ms = await timed(async () => {
    await run('docker-compose', [...compose, 'up', '-d']);
    for (const end = Date.now() + HEALTHY_TIMEOUT_MS; (await healthy()) < SERVICES; await sleep(POLL_MS)) {
      if (Date.now() > end) throw new Error(`docker-compose project "${state.composeProject}" was not healthy within ${HEALTHY_TIMEOUT_MS / 1000}s`);
    }
  });
  await run('docker-compose', [...compose, 'down']);
  return ms;
}

const [what, dir, stack] = process.argv.slice(2);
if (what === 'deploy-spin' && dir && stack) process.stdout.write(`${await deploySpin(readState(dir), stack)}\n`);
else if (what === 'deploy-compose' && dir) process.stdout.write(`${await deployCompose(readState(dir))}\n`);
else {
  process.stderr.write('usage: node bench/lib/cli-probe.ts deploy-spin FIXTURE_DIR STACK | deploy-compose FIXTURE_DIR\n');
  process.exitCode = 2;
}
