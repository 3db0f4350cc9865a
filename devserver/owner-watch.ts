import { spawn } from 'node:child_process';
import { devServerEnvironment } from './child-environment';

/**
 * Stops a server process when the process that started it dies without stopping it (a crashed jest run, a SIGKILLed
 * CLI): otherwise the dev server outlives it, holding its port, memory and database. A small detached watcher checks
 * once a second whether the owner still exists, and then sends the server SIGTERM, and SIGKILL after `graceMs`.
 * Returns a function that ends the watcher (call it when the server is stopped normally).
 */
export function stopWhenOwnerDies(serverPid: number, graceMs: number, ownerPid: number = process.pid): () => void {
  const script = `
    const [owner, server, grace] = process.argv.slice(1).map(Number);
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (error) { return error.code === 'EPERM'; } };
    const timer = setInterval(() => {
      if (!alive(server)) process.exit(0);
      if (alive(owner)) return;
      clearInterval(timer);
      try { process.kill(server, 'SIGTERM'); } catch {}
      setTimeout(() => { try { process.kill(server, 'SIGKILL'); } catch {} process.exit(0); }, grace);
    }, 1000);`;
  const watcher = spawn(process.execPath, ['-e', script, String(ownerPid), String(serverPid), String(graceMs)], { detached: true, stdio: 'ignore', env: devServerEnvironment(process.env) });
  watcher.unref();
  return () => {
    if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill();
  };
}
