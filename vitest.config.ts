import ts from 'typescript';
import { defineConfig } from 'vitest/config';

/**
 * Vite's transformer (oxc) only knows legacy decorators and leaves standard (TC39) ones in
 * place, which Node 20 cannot parse. Files that use decorators are lowered by TypeScript
 * itself, as `tsc` does for a build.
 */
const standardDecorators = {
  name: 'larder:standard-decorators',
  enforce: 'pre' as const,
  transform(code: string, id: string) {
    if (!id.endsWith('.ts') || !/^\s*@[\w$.]+/m.test(code)) return null;
    const out = ts.transpileModule(code, {
      fileName: id,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, experimentalDecorators: false, sourceMap: true, verbatimModuleSyntax: true },
    });
    return { code: out.outputText.replace(/\/\/# sourceMappingURL=.*$/m, ''), map: out.sourceMapText ?? null };
  },
};

export default defineConfig({
  plugins: [standardDecorators],
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn worker threads and child processes and touch real disks: generous limits,
    // and forks so a test that kills a process cannot take the runner's threads with it.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
