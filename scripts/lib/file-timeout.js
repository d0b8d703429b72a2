// Preloaded (--import) by scripts/run-tests.js into every process of the test run. Node's
// --test-timeout bounds single tests only: a test file that never exits (a server left
// listening, a hang at top level) would hold the whole run until CI's own limit. In each
// test file's process this ends it after SPIN_TEST_FILE_TIMEOUT_MS, so the file is reported
// as failed and the rest of the run goes on.

const limitMs = Number(process.env.SPIN_TEST_FILE_TIMEOUT_MS);
const isTestFileProcess = process.env.NODE_TEST_CONTEXT?.startsWith('child') ?? false;

if (isTestFileProcess && Number.isFinite(limitMs) && limitMs > 0) {
  // unref: a file that finishes in time must still be free to exit on its own.
  setTimeout(() => {
    process.stderr.write(
      `test file ${process.argv[1]} was still running after ${limitMs} ms and was stopped; ` +
        'look for a hanging test or a server, timer or child process left open ' +
        '(set SPIN_TEST_FILE_TIMEOUT_MS to allow longer)\n',
    );
    process.exit(1);
  }, limitMs).unref();
}
