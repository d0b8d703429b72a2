#!/usr/bin/env node
// Runs the test suite with Node's own test runner (`npm test`).
//
//   node scripts/run-tests.js [--unit] [--integration] [FILE…] [node --test option…]
//
// --unit: every test/**/*.test.ts except *.integration.test.ts; --integration: only those;
// neither or both: everything, in one run so there is one closing summary. FILE arguments
// (ending in .ts or .js, or holding a glob) replace those patterns. Any other argument goes
// to `node --test` as is and wins over the defaults below; write options as --name=value.
//
// Environment: SPIN_TEST_CONCURRENCY (test files at once, default 2),
// SPIN_TEST_FILE_TIMEOUT_MS (per test file, default 600000), SPIN_TEST_REPORTER (default:
// spec on a terminal, else tap, whose closing "# pass N" / "# fail N" lines CI reads).

import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const patterns = {
  unit: 'test/**/!(*.integration).test.ts',
  integration: 'test/**/*.integration.test.ts',
};
const defaultFileTimeoutMs = 10 * 60 * 1000;

/** Node must strip TypeScript types without a flag: package.json's engines says from which version. */
function checkNodeVersion() {
  const {engines} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const want = engines.node.replace(/^[^0-9]*/, '').split('.').map(Number);
  const have = process.versions.node.split('.').map(Number);
  const older = have[0] !== want[0] ? have[0] < want[0] : have[1] < (want[1] ?? 0);
  if (older) {
    process.stderr.write(
      `run-tests: node ${process.version} cannot run the TypeScript tests; it needs node ${engines.node}\n` +
        'hint: run `bash scripts/setup.sh --no-docker`, then `source scripts/env.sh` to put a newer node first on PATH\n',
    );
    process.exit(1);
  }
}

function isFileArgument(arg) {
  return !arg.startsWith('-') && (/\.[cm]?[jt]s$/.test(arg) || arg.includes('*'));
}

/** Splits our own flags from what goes to `node --test`. */
function parseArguments(argv) {
  const kinds = new Set();
  const files = [];
  const passThrough = [];
  for (const arg of argv) {
    if (arg === '--unit' || arg === '--integration') kinds.add(arg.slice(2));
    else if (isFileArgument(arg)) files.push(arg);
    else passThrough.push(arg);
  }
  const selected = kinds.size === 0 ? ['unit', 'integration'] : [...kinds];
  const testPatterns =
    files.length > 0 ? files : selected.length === 2 ? ['test/**/*.test.ts'] : [patterns[selected[0]]];
  return {testPatterns, passThrough};
}

function nodeArguments({testPatterns, passThrough}, env, stdoutIsTTY) {
  const reporter = env.SPIN_TEST_REPORTER || (stdoutIsTTY ? 'spec' : 'tap');
  const concurrency = env.SPIN_TEST_CONCURRENCY || String(Math.max(2, availableParallelism()));
  // Node wants one destination per reporter, so a reporter given by the caller replaces ours.
  const callerChoseReporter = passThrough.some((arg) => arg.startsWith('--test-reporter'));
  return [
    `--import=${new URL('lib/file-timeout.js', import.meta.url).href}`,
    '--test',
    ...(callerChoseReporter ? [] : [`--test-reporter=${reporter}`]),
    `--test-concurrency=${concurrency}`,
    ...passThrough,
    ...testPatterns,
  ];
}

function main() {
  checkNodeVersion();
  const args = nodeArguments(parseArguments(process.argv.slice(2)), process.env, process.stdout.isTTY);
  const env = {
    ...process.env,
    SPIN_TEST_FILE_TIMEOUT_MS: process.env.SPIN_TEST_FILE_TIMEOUT_MS || String(defaultFileTimeoutMs),
  };
  const child = spawn(process.execPath, args, {cwd: root, env, stdio: 'inherit'});
  // The child shares our terminal, so Ctrl-C reaches it directly; a signal sent to us alone
  // (a CI job being stopped) is passed on so no test run is left behind.
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  process.on('SIGINT', () => {});
  child.on('error', (error) => {
    process.stderr.write(`run-tests: could not start ${process.execPath}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) process.stderr.write(`run-tests: the test run was stopped by ${signal}\n`);
    process.exit(code ?? 1);
  });
}

main();
