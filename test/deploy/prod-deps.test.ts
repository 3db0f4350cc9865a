import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { z } from 'zod';
import { environment, lastInstruction, nodeModulesHistory, parseDockerfile, execForm } from './dockerfile';

/**
 * A production install (`npm ci --omit=dev`, the Docker image) holds only `dependencies`. The test bench (the sandbox
 * and its HTTP server, `@temporalio/testing`) is a development dependency: no production command may need it, and the
 * commands that do (`sandbox`, `demo`) must say so instead of crashing.
 */
const ROOT = path.resolve(__dirname, '../..');
const fromRoot = (...parts: string[]) => path.join(ROOT, ...parts);
const CLI = fromRoot('dist/client/cli.js');
const TEST_BENCH_PACKAGES = ['@temporalio/testing', 'express', 'scim-patch', 'scim2-parse-filter'];

const PackageJsonSchema = z.object({ dependencies: z.record(z.string(), z.string()), devDependencies: z.record(z.string(), z.string()) });
const LockSchema = z.object({ packages: z.record(z.string(), z.object({ dev: z.boolean().optional() }).loose()) });
const packageJson = PackageJsonSchema.parse(JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')));
const lock = LockSchema.parse(JSON.parse(readFileSync(fromRoot('package-lock.json'), 'utf8')));

/** Exactly what `npm ci --omit=dev` leaves out: every lockfile entry flagged `dev` (only development code needs it). */
const devOnlyInstallPaths = Object.entries(lock.packages)
  .filter(([installPath, entry]) => installPath !== '' && entry.dev === true)
  .map(([installPath]) => installPath);

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? specifier);

interface RequireCall {
  specifier: string;
  /** At module level, so it runs when the file is loaded (not inside a function that runs later). */
  atLoad: boolean;
}

/** Every `require("…")` of a compiled file; TypeScript compiles `import` to them and `import()` to a nested one. */
function requireCalls(file: string): RequireCall[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const calls: RequireCall[] = [];
  const visit = (node: ts.Node, insideFunction: boolean): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) calls.push({ specifier: argument.text, atLoad: !insideFunction });
    }
    ts.forEachChild(node, (child) => visit(child, insideFunction || ts.isFunctionLike(node)));
  };
  visit(source, false);
  return calls;
}

interface TestBenchEdge {
  from: string;
  to: string;
  atLoad: boolean;
}

/**
 * Walks the compiled CLI's own files through every require (at load or lazy), stopping at packages (their own
 * dependencies are npm's business, and the lockfile says which are dev-only) and at the sandbox, and returns every edge
 * that reaches the test bench.
 */
function edgesIntoTheTestBench(entry: string): { files: Set<string>; edges: TestBenchEdge[] } {
  const sandboxFolder = fromRoot('dist', 'sandbox') + path.sep;
  const files = new Set<string>();
  const edges: TestBenchEdge[] = [];
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const call of requireCalls(file)) {
      const edge = { from: path.relative(ROOT, file), to: call.specifier, atLoad: call.atLoad };
      if (call.specifier.startsWith('.')) {
        const target = require.resolve(path.resolve(path.dirname(file), call.specifier));
        if (target.startsWith(sandboxFolder)) edges.push(edge);
        else pending.push(target);
      } else if (!isBuiltin(call.specifier)) {
        const name = packageName(call.specifier);
        if (lock.packages[`node_modules/${name}`]?.dev === true || !(name in packageJson.dependencies)) edges.push(edge);
      }
    }
  }
  return { files, edges };
}

describe('production dependencies (npm ci --omit=dev) leave the test bench out', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it("lists the sandbox's server and @temporalio/testing only as development dependencies, and the lockfile agrees", () => {
    for (const name of TEST_BENCH_PACKAGES) {
      expect({ name, dependency: name in packageJson.dependencies, devDependency: name in packageJson.devDependencies }).toEqual({ name, dependency: false, devDependency: true });
      expect({ name, devOnlyInLock: lock.packages[`node_modules/${name}`]?.dev }).toEqual({ name, devOnlyInLock: true });
    }
  });

  it('reaches the test bench from the built CLI only through the two lazy loaders that explain what is missing', () => {
    const { files, edges } = edgesIntoTheTestBench(CLI);
    expect(files).toContain(fromRoot('dist/client/commands/server.js'));
    expect(files).toContain(fromRoot('dist/client/commands/worker.js'));
    // Anything else (a new import of the sandbox, a package missing from `dependencies`) breaks production installs.
    expect(edges.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
      { from: path.join('dist', 'client', 'commands', 'sandbox.js'), to: '../../sandbox', atLoad: false },
      { from: path.join('dist', 'devserver', 'dev-server.js'), to: '@temporalio/testing', atLoad: false },
    ]);
  });

  describe('the built CLI with the development dependencies hidden', () => {
    let folder: string;
    let hook: string;
    beforeAll(() => {
      folder = mkdtempSync(path.join(tmpdir(), 'peakon-sync-prod-deps-'));
      hook = path.join(folder, 'omit-dev.js');
      // Loaded with `node --require`: resolving into a package the production install lacks, or into the sandbox,
      // fails as a missing module would, and is logged so the test can tell "refused" from "never asked for".
      writeFileSync(
        hook,
        `const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const refused = ${JSON.stringify([...devOnlyInstallPaths.map((installPath) => fromRoot(installPath) + path.sep), fromRoot('dist', 'sandbox') + path.sep])};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const resolved = resolve.call(this, request, parent, ...rest);
  if (refused.some((prefix) => resolved.startsWith(prefix))) {
    fs.appendFileSync(${JSON.stringify(path.join(folder, 'refused.log'))}, request + '\\n');
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolved;
};
`,
      );
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    async function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string; refused: string[] }> {
      rmSync(path.join(folder, 'refused.log'), { force: true });
      let result: { exitCode: number; stdout: string; stderr: string };
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', hook, CLI, ...args], { cwd: ROOT, timeout: 60_000 });
        result = { exitCode: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        result = { exitCode: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
      const log = path.join(folder, 'refused.log');
      return { ...result, refused: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [] };
    }

    it('runs --help and validate without asking for any of it', async () => {
      const help = await cli(['--help']);
      expect(help).toMatchObject({ exitCode: 0, refused: [] });
      for (const command of ['server', 'worker', 'sync', 'sandbox', 'demo']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      expect(await cli(['server', '--help'])).toMatchObject({ exitCode: 0, refused: [] });
      const validate = await cli(['validate', '--config', 'examples/sample-config.yaml', '--no-preflight']);
      expect(validate).toMatchObject({ exitCode: 0, refused: [] });
      expect(validate.stdout).toMatch(/50 records read/);
    });

    it.each([
      ['sandbox', ['sandbox', '--port', '0', '--token', 'unused']],
      ['demo', ['demo', '--no-keep-running']],
    ])('%s says it needs the development dependencies, before starting anything', async (command, args) => {
      const result = await cli(args);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`peakon-sync ${command}: this command needs the development dependencies (npm ci without --omit=dev)`);
      expect(result.stdout).toBe('');
    });
  });

  describe('Dockerfile', () => {
    const stages = parseDockerfile(readFileSync(fromRoot('Dockerfile'), 'utf8'));
    const runtime = stages.at(-1);

    it('ships a node_modules whose last install left the development dependencies out, in a production environment', () => {
      if (!runtime) throw new Error('Dockerfile has no stage');
      const history = nodeModulesHistory(stages, runtime);
      expect(history.length).toBeGreaterThan(0);
      expect(history.at(-1)).toMatch(/^npm (ci|prune|install)\b.*--omit=dev\b/);
      expect(environment(runtime).NODE_ENV).toBe('production');
    });

    it('builds the sandbox, which needs them, as its own target with every dependency', () => {
      const sandbox = stages.find((stage) => stage.name === 'sandbox');
      if (!sandbox) throw new Error('Dockerfile has no sandbox stage');
      expect(nodeModulesHistory(stages, sandbox).at(-1)).toMatch(/^npm ci\b(?!.*--omit)/);
      expect(execForm(lastInstruction(sandbox, 'CMD')?.args ?? '[]')[0]).toBe('sandbox');
      expect(stages.indexOf(sandbox)).toBeLessThan(stages.length - 1);
    });
  });
});
