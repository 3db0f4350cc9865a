import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBuiltCli } from '../harness/cli';

/** `npm start` pressed Ctrl-C in the middle: the demo's temporary folder (run reports) must not stay behind. */
describe('peakon-sync demo, interrupted', () => {
  it('removes its temporary folder when stopped with Ctrl-C during a sync', async () => {
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    const demo = spawnBuiltCli(['demo', '--no-keep-running'], { TMPDIR: temporary });
    try {
      await demo.waitForStdout('first sync (creates everyone):', 120_000);
      expect(demo.stdout()).toContain('first sync (creates everyone):');
      // The folder exists while the demo runs …
      expect(readdirSync(temporary).filter((name) => name.startsWith('peakon-sync-demo-'))).toHaveLength(1);
      demo.child.kill('SIGINT');
      const code = await demo.exited;
      expect(demo.stderr()).toContain('demo interrupted during the first sync');
      expect(code).toBe(1);
      // … and is gone once it ended.
      expect(readdirSync(temporary)).toEqual([]);
    } finally {
      await demo.kill();
    }
  }, 180_000);
});
