/**
 * The README is a contract whose every claim names the test that proves it: a claim whose test file was renamed or
 * moved points at nothing, and nobody notices. Every test file the README and the docs name must exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const DOCUMENTS = ['README.md', 'sandbox/README.md', 'sandbox/CONFORMANCE.md', ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** `test/…` paths of test files and harness modules a document names (globs such as `test/codec/*.test.ts` left out). */
function testPathsIn(document: string): string[] {
  const text = readFileSync(path.join(ROOT, document), 'utf8');
  return [...new Set([...text.matchAll(/\btest\/[\w./-]+\.ts\b/g)].map((match) => match[0]))];
}

describe('the test files the documents name as proof', () => {
  it.each(DOCUMENTS)('%s names only test files that exist', (document) => {
    expect(testPathsIn(document).filter((named) => !existsSync(path.join(ROOT, named)))).toEqual([]);
  });

  it('finds the paths it checks (the README names well over a hundred)', () => {
    expect(testPathsIn('README.md').length).toBeGreaterThan(100);
  });
});
