// The report sweep's guard against leaving its root: only `..` as a whole path segment leaves it. A folder whose name
// merely begins with `..` (as Kubernetes names a mounted volume's data folders: `..data`, `..2025_12_02_10_00_00.123`)
// lies inside the root and is swept like any other.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deleteOldFiles } from '../../storage/retention';

const DAY_MS = 24 * 60 * 60 * 1000;

async function write(file: string, ageDays: number): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '{}');
  const when = new Date(Date.now() - ageDays * DAY_MS);
  await fs.utimes(file, when, when);
  return file;
}

const exists = (file: string) => fs.access(file).then(() => true, () => false);

describe('report retention and `..`-named folders', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'peakon-retention-dotdot-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('sweeps old reports in a folder named `..2025_…` inside the root, and still never leaves the root', async () => {
    const reports = path.join(root, 'reports');
    const inDotDotFolder = await write(path.join(reports, '..2025_12_02_10_00_00.123', 'run-1.json'), 60);
    const fresh = await write(path.join(reports, '..2025_12_02_10_00_00.123', 'run-2.json'), 1);
    // Beside the root, reached only by a symlink inside it: a symlink is never followed, so this stays.
    const outside = await write(path.join(root, 'elsewhere', 'acme', 'run-3.json'), 60);
    await fs.symlink(path.join(root, 'elsewhere'), path.join(reports, '..elsewhere'));
    expect(await deleteOldFiles(reports, new Date(Date.now() - 30 * DAY_MS))).toBe(1);
    expect(await exists(inDotDotFolder)).toBe(false);
    expect(await exists(fresh)).toBe(true);
    expect(await exists(outside)).toBe(true);
  });
});
