// Every name the two entry points export carries a TSDoc comment.
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const entry = (p: string) => fileURLToPath(new URL(`../src/${p}`, import.meta.url));

describe.each(['index.ts', 'vitest/index.ts'])('exports of src/%s', (file) => {
  it('all have a TSDoc comment', () => {
    const program = ts.createProgram([entry(file)], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
    });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(entry(file));
    if (!source) throw new Error(`cannot read ${file}`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const exports = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
    expect(exports.length).toBeGreaterThan(3);
    const undocumented = exports
      .map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s))
      .filter((s) => ts.displayPartsToString(s.getDocumentationComment(checker)).trim() === '')
      .map((s) => s.getName());
    expect(undocumented).toEqual([]);
  });
});
