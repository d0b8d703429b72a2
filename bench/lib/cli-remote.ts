// What the CLI benchmarks share: `spin` commands aimed at the fixture's agent (agent-fixture.ts)
// through the environment, as a CI job would run them, and the synchronous steps that prepare a
// benchmark (deploy a stack, wait for a container's output) before its timed rounds.

import {spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';

import type {FixtureState} from './agent-fixture.ts';
import {BenchError, type Command, type CommandOptions} from './types.ts';

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
export const PROBE = fileURLToPath(new URL('./cli-probe.ts', import.meta.url));

/** SPIN_URL, SPIN_TOKEN and SPIN_PROJECT for the fixture: no config file, no login. */
export function spinEnv(state: Pick<FixtureState, 'url' | 'token' | 'project'>): Record<string, string> {
  return {SPIN_URL: state.url, SPIN_TOKEN: state.token, SPIN_PROJECT: state.project, NO_COLOR: '1'};
}

/**
 * `spin ARGS` against the fixture, timed by the harness. The harness passes no environment, so
 * `env` sets it; exec'ing env costs about a millisecond, far below what is measured here.
 */
export function remoteSpin(state: FixtureState, args: string[], options: CommandOptions & {label: string}): Command {
  const env = Object.entries(spinEnv(state)).map(([k, v]) => `${k}=${v}`);
  return {tool: 'spin', label: options.label, argv: ['/usr/bin/env', ...env, process.execPath, BIN, ...args], expectOutput: options.expectOutput, expectLines: options.expectLines};
}

/** A cli-probe.ts subcommand: it prints its own figure (Command.measuresItself). */
export function probe(tool: string, label: string, args: string[]): Command {
  return {tool, label, argv: [process.execPath, PROBE, ...args], measuresItself: true};
}

/** Runs a preparation step and stops the bench with its output when it fails (or outlasts `timeoutMs`). */
export function mustRun(what: string, file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): string {
  const r = spawnSync(file, args, {encoding: 'utf8', env: {...process.env, ...env}, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024});
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trimEnd().split('\n').slice(-15).join('\n');
    throw new BenchError(`${what} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`})\n  command: ${[file, ...args].join(' ')}\n${tail}`, 'run the command by hand to see why');
  }
  return r.stdout;
}

/**
 * `spin deploy` of a compose file as stack `stack` of the fixture's project, healthy within
 * `timeoutSeconds` or the bench stops. A big stack on two busy cores needs more than the default.
 */
export function deployWithSpin(state: FixtureState, file: string, stack: string, timeoutSeconds = 120): void {
  mustRun(`deploying stack "${stack}"`, process.execPath, [BIN, 'deploy', '-f', file, '--stack', stack, '--timeout', `${timeoutSeconds}s`], spinEnv(state), (timeoutSeconds + 60) * 1000);
}

/**
 * `docker-compose up -d` of a file under compose project `project`, so that a peer reads as many
 * containers as Spin's side. Use the fixture's `composeProject`: the fixture removes it when the
 * benchmark ends.
 */
export function upWithCompose(composeFile: string, project: string): void {
  mustRun(`docker-compose up -d of project "${project}"`, 'docker-compose', ['--compatibility', '-p', project, '-f', composeFile, 'up', '-d']);
}

/** Container name of replica 1 of a service, as the agent names it. */
export function containerName(state: FixtureState, stack: string, service: string): string {
  return `${state.project}.${stack}.${service}.1`;
}
