import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

/**
 * The CLI as one self-contained ES module (dist-cli/cli.mjs): everything bundled but Node's
 * built-ins and the `webgpu` package, which is only imported when WEBGPU_DAWN_NODE is not set.
 * On a GPU server without node_modules, WEBGPU_DAWN_NODE points at dawn.node instead.
 */
export default defineConfig({
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist-cli',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rollupOptions: {
      external: ['webgpu', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
      output: { entryFileNames: 'cli.mjs', format: 'es' },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
  logLevel: 'warn',
});
