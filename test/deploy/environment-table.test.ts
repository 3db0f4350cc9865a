import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ENCRYPTION_ENVIRONMENT_VARIABLES } from '../../codec/keys';
import { STORAGE_ENVIRONMENT_VARIABLES } from '../../storage/from-env';
import { WORKER_ENVIRONMENT_VARIABLES } from '../../worker/environment';

/**
 * The README sends operators to docs/deploy.md#environment-variables for "all variables": every variable the worker,
 * the payload store and the encryption read must have a row there, so a new one cannot ship undocumented.
 */
describe('docs/deploy.md environment variables table', () => {
  const deploy = readFileSync(path.resolve(__dirname, '../../docs/deploy.md'), 'utf8');
  const section = deploy.slice(deploy.indexOf('## Environment variables'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| variable |')));
  // A row's first cell names one or more variables, each whole and in backticks.
  const documented = new Set(
    table
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z0-9_*]+)`/g)].map((match) => match[1])),
  );

  it.each([...WORKER_ENVIRONMENT_VARIABLES, ...STORAGE_ENVIRONMENT_VARIABLES, ...ENCRYPTION_ENVIRONMENT_VARIABLES])('has a row for %s', (name) => {
    expect(documented).toContain(name);
  });
});
