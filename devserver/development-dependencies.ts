/**
 * The test bench (the Peakon sandbox with its HTTP server, and `@temporalio/testing`) is a development dependency, so
 * a production install (`npm ci --omit=dev`, the Docker image) does not carry it. Code that needs it loads it lazily
 * through here and turns its absence into a message an operator can act on.
 */
export const DEVELOPMENT_DEPENDENCIES_HINT = 'this command needs the development dependencies (npm ci without --omit=dev)';

/** A `require`/`import()` that failed because the module (or one it imports) is not installed. */
export function isModuleMissing(error: unknown): error is Error & { code: string } {
  return error instanceof Error && 'code' in error && (error.code === 'MODULE_NOT_FOUND' || error.code === 'ERR_MODULE_NOT_FOUND');
}

/**
 * Runs `load` (a dynamic import of development-only code); when a module it needs is missing, fails with
 * `<command>: this command needs the development dependencies …` and the module Node could not find.
 */
export async function loadDevelopmentModule<T>(command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isModuleMissing(error)) throw error;
    // Node's message continues with the require stack (paths of this install); its first line names the module.
    const missing = error.message.split('\n')[0] ?? error.message;
    throw new Error(`peakon-sync ${command}: ${DEVELOPMENT_DEPENDENCIES_HINT}; ${missing}`);
  }
}
