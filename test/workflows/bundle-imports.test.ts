import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The workflow bundle evaluates every module workflow code reaches once per workflow execution (each run gets fresh
 * module state), so every per-employee child pays for every import. Importing zod there (through the SCIM schemas)
 * cost a third of the workflow thread's time and half the worker's memory on a 1,000-employee first load. This test
 * walks the modules the bundle reaches, as the compiler emits them (type-only imports erased), and names the chain
 * that pulls in anything beyond the Temporal workflow packages and our own plain modules.
 */
const ROOT = path.resolve(__dirname, '../..');
const ALLOWED_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common']);

function runtimeImports(file: string): string[] {
  const emitted = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, fileName: file }).outputText;
  return [...emitted.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1] as string);
}

function reachable(entry: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  const visit = (file: string, chain: string[]) => {
    if (chains.has(file)) return;
    chains.set(file, chain);
    for (const specifier of runtimeImports(file)) {
      if (!specifier.startsWith('.')) {
        if (!chains.has(specifier)) chains.set(specifier, [...chain, path.relative(ROOT, file)]);
        continue;
      }
      const base = path.resolve(path.dirname(file), specifier);
      const candidates = [`${base}.ts`, path.join(base, 'index.ts')];
      const resolved = candidates.find((candidate) => ts.sys.fileExists(candidate));
      if (!resolved) throw new Error(`${path.relative(ROOT, file)} imports ${specifier}, which resolves to no .ts file`);
      visit(resolved, [...chain, path.relative(ROOT, file)]);
    }
  };
  visit(entry, []);
  return chains;
}

describe('the workflow bundle', () => {
  const entries = ['workflows/index.ts', 'metrics/workflow-interceptors.ts'];

  it.each(entries)('%s reaches only Temporal workflow packages and plain modules of our own', (entry) => {
    const chains = reachable(path.join(ROOT, entry));
    const packages = [...chains].filter(([module]) => !module.startsWith('/'));
    const offending = packages.filter(([module]) => !ALLOWED_PACKAGES.has(module)).map(([module, chain]) => `${module} via ${chain.join(' → ')}`);
    expect(offending).toEqual([]);
    // The walk itself works: it found the workflow modules and the SDK.
    expect(packages.map(([module]) => module)).toContain('@temporalio/workflow');
  });

  it('finds a package import that reaches the bundle through a chain of modules', () => {
    // The walker sees through chains: the SCIM resource schemas (zod) are two modules away from the client code.
    const chains = reachable(path.join(ROOT, 'scim/client.ts'));
    expect(chains.has('zod')).toBe(true);
  });
});
