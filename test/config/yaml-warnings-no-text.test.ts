import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../config/load';
import type { ConnectorConfig } from '../../config/schema';

/**
 * YAML's own warnings (an unknown tag, an unsupported `%YAML` version) quote the line they are about, and a config's
 * lines hold secrets (an HR API key in `source.query`): loading one says what and where, never the line.
 */
const SECRET = 'SUPERSECRETVALUE123';

function writeConfig(lines: readonly string[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'peakon-config-')), 'connector.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function configLines(queryLine: string): string[] {
  return [
    'tenant: acme',
    'peakon: { baseUrl: "https://api.peakon.com/scim/v2" }',
    'source:',
    '  type: rest',
    '  url: https://hr.example.com/api/employees',
    '  auth: { type: apiKey, header: X-Api-Key, key: { env: HR_KEY } }',
    `  ${queryLine}`,
    'mapping: { id: id, email: email, givenName: first, familyName: last }',
  ];
}

/** Loads `file` through the real loader, with everything it emits as a process warning or writes to stderr. */
async function loadCapturing(file: string): Promise<{ config?: ConnectorConfig; error?: unknown; said: string[]; codes: string[] }> {
  const said: string[] = [];
  const codes: string[] = [];
  const text = (value: unknown): string => (value instanceof Error ? `${value.name}: ${value.message}\n${value.stack ?? ''}` : typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
  const onWarning = (warning: Error): void => {
    said.push(text(warning));
    if ('code' in warning) codes.push(String(warning.code));
  };
  // Jest's sandboxed `process` may not relay the real process's 'warning' events: the emitWarning spy sees every call.
  process.on('warning', onWarning);
  const emitWarning = jest.spyOn(process, 'emitWarning');
  const stderr = jest.spyOn(process.stderr, 'write');
  const consoleWarn = jest.spyOn(console, 'warn');
  try {
    // What was said is kept when the load fails too (a warning is emitted before the value is read).
    let config: ConnectorConfig | undefined;
    let error: unknown;
    try {
      config = loadConfigFile(file);
    } catch (thrown) {
      error = thrown;
    }
    // process.emitWarning raises 'warning' on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    for (const call of [...emitWarning.mock.calls, ...stderr.mock.calls, ...consoleWarn.mock.calls]) said.push(call.map(text).join(' '));
    // emitWarning(warning) with the code on it (YAML's own), or emitWarning(message, { code }).
    for (const [warning, options] of emitWarning.mock.calls) {
      const code = [warning, options].map((value) => (typeof value === 'object' && value !== null && 'code' in value ? value.code : undefined)).find((value) => value !== undefined);
      if (code !== undefined) codes.push(String(code));
    }
    return { config, error, said, codes };
  } finally {
    process.off('warning', onWarning);
    emitWarning.mockRestore();
    stderr.mockRestore();
    consoleWarn.mockRestore();
  }
}

describe('a config whose YAML draws a warning', () => {
  it('an unknown tag on the line of a secret: the warning names the tag, line and column, not the line, and the config is as without the tag', async () => {
    const file = writeConfig(configLines(`query: { api_key: !secret ${SECRET} }`));
    const { config, error, said, codes } = await loadCapturing(file);
    expect(said.join('\n')).not.toContain(SECRET);
    expect(error).toBeUndefined();
    expect(said.some((line) => line.includes(`config file ${file}: Unresolved tag: !secret at line 7, column 21`))).toBe(true);
    expect(codes).toContain('TAG_RESOLVE_FAILED');
    const untagged = await loadCapturing(writeConfig(configLines(`query: { api_key: ${SECRET} }`)));
    expect([untagged.error, untagged.said]).toEqual([undefined, []]);
    expect(config).toEqual(untagged.config);
    expect(config?.source).toMatchObject({ query: { api_key: SECRET } });
  });

  it('a %YAML 1.3 directive: said without quoting the directive line', async () => {
    const file = writeConfig(['%YAML 1.3', '---', ...configLines(`query: { api_key: ${SECRET} }`)]);
    const { config, error, said, codes } = await loadCapturing(file);
    const all = said.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('%YAML');
    expect(error).toBeUndefined();
    expect(said.some((line) => line.includes(`config file ${file}: Unsupported YAML version 1.3 at line 1, column 7`))).toBe(true);
    expect(codes).toContain('BAD_DIRECTIVE');
    expect(config?.source).toMatchObject({ query: { api_key: SECRET } });
  });

  it('a key written as a collection: YAML\'s note on it, which quoted the key, is not emitted', async () => {
    const { error, said } = await loadCapturing(writeConfig(configLines(`query: { api_key: x, ? [ ${SECRET} ] : y }`)));
    expect(said.join('\n')).not.toContain(SECRET);
    expect(error).toBeUndefined();
  });
});
