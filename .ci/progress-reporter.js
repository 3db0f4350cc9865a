// A jest reporter for .ci/run: appends each test file's counts to a file as soon as that file finishes, so a jest run
// that never writes its final results (killed for memory, past the CI's time limit, a crash) still ends CI with the
// real counts of the files that ran, and says jest stopped, instead of blaming the build.
const fs = require('node:fs');

class ProgressReporter {
  constructor(_globalConfig, options = {}) {
    this.file = options.file ?? process.env.JEST_PROGRESS_FILE;
  }

  onTestResult(test, result) {
    if (!this.file) return;
    // A file that could not run at all (a syntax error, a failing import) counts as one failure, as jest's own
    // numRuntimeErrorTestSuites does in .ci/run's totals.
    const failed = result.numFailingTests + (result.testExecError ? 1 : 0);
    fs.appendFileSync(this.file, `${JSON.stringify({ file: test.path, passed: result.numPassingTests, failed })}\n`);
  }
}

module.exports = ProgressReporter;
