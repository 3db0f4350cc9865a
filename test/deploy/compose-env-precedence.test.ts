import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

/**
 * In compose, a service's `environment:` beats its `env_file`, and `${NAME:-default}` interpolation reads the shell and
 * the top-level .env, never the env_file. So a variable deploy/connector.env.example tells operators to set (Temporal
 * Cloud's address, the secret directory) must not also be set in the worker's `environment:`, where it would silently
 * win; the only exceptions are settings the example itself says compose sets.
 */
const ROOT = path.resolve(__dirname, '../..');
const compose = z
  .object({ services: z.record(z.string(), z.object({ environment: z.record(z.string(), z.unknown()).optional(), env_file: z.array(z.unknown()).optional() })) })
  .parse(YAML.parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')));
const example = readFileSync(path.join(ROOT, 'deploy/connector.env.example'), 'utf8').split('\n');

/** Each variable the example offers (`NAME=` or `# NAME=` at a line's start), with the comment lines just above it. */
function offeredSettings(): Map<string, string> {
  const offered = new Map<string, string>();
  let comment: string[] = [];
  for (const line of example) {
    const name = /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(line)?.[1];
    if (name === undefined) {
      comment.push(line);
      continue;
    }
    offered.set(name, `${offered.get(name) ?? ''}\n${comment.join('\n')}`);
    comment = [];
  }
  return offered;
}

describe('deploy/connector.env.example and the worker service of docker-compose.yml', () => {
  it('offers in the env file no setting the worker\'s environment: overrides, unless it says compose sets it', () => {
    const worker = compose.services.worker;
    expect(worker?.env_file).toBeDefined();
    const overriding = Object.keys(worker?.environment ?? {});
    const offered = offeredSettings();
    const silentlyOverridden = overriding.filter((name) => offered.has(name) && !/overrides this file|without compose/i.test(offered.get(name) ?? ''));
    expect(silentlyOverridden).toEqual([]);
  });

  it('sends Temporal Cloud\'s address and namespace through the shell or .env (which interpolation reads), its key through the env file', () => {
    const environment = compose.services.worker?.environment ?? {};
    expect(environment.TEMPORAL_ADDRESS).toBe('${PEAKON_SYNC_TEMPORAL_ADDRESS:-temporal:7233}');
    expect(environment.TEMPORAL_NAMESPACE).toBe('${PEAKON_SYNC_TEMPORAL_NAMESPACE:-default}');
    expect(environment.TEMPORAL_API_KEY).toBeUndefined();
    expect(offeredSettings().has('TEMPORAL_API_KEY')).toBe(true);
    // The top-level .env may hold POSTGRES_PASSWORD and Temporal Cloud's settings: never committed.
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('interpolates no generic TEMPORAL_* shell variable (a developer\'s TEMPORAL_ADDRESS=localhost:7233 for the CLI would strand the worker)', () => {
    // `$NAME` and `${NAME…}`, not the `$$` escape compose turns into a literal `$`.
    const interpolated = (value: unknown) => [...String(value).matchAll(/(?<!\$)(?:\$\$)*\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] ?? '');
    const generic = Object.entries(compose.services).flatMap(([service, { environment }]) =>
      Object.entries(environment ?? {}).flatMap(([name, value]) =>
        interpolated(value)
          .filter((variable) => variable.startsWith('TEMPORAL_'))
          .map((variable) => `${service}.${name}: \${${variable}}`),
      ),
    );
    expect(generic).toEqual([]);
    // The namespace job creates, and the UI opens, the namespace the worker polls, from the same project variable.
    const services = compose.services;
    expect(services['temporal-namespace']?.environment?.TEMPORAL_NAMESPACE).toBe(services.worker?.environment?.TEMPORAL_NAMESPACE);
    expect(services['temporal-ui']?.environment?.TEMPORAL_DEFAULT_NAMESPACE).toBe(services.worker?.environment?.TEMPORAL_NAMESPACE);
  });
});
