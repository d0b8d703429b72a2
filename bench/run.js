#!/usr/bin/env node
// `npm run bench`: see bench/README.md. The harness is TypeScript run by Node directly, so an
// older Node gets a clear message instead of a syntax error from a .ts import.

if (!process.features.typescript) {
  process.stderr.write(
    `bench: node ${process.version} cannot run TypeScript files; the bench needs node 22.18 or newer (24 for the targets)\n` +
      'hint: `source scripts/env.sh` puts the Node 24 from scripts/setup.sh first on PATH\n',
  );
  process.exit(1);
}

const {main} = await import('./lib/cli.ts');
process.exitCode = main(process.argv.slice(2), {stdout: process.stdout, stderr: process.stderr});
